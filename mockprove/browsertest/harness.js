// Test page for Prove's web SDK (@prove-identity/prove-auth, global
// `proveAuth`) against mockprove. It wires the SDK exactly as Prove's docs do
// (implementation guide step 5): on mobile web, Mobile Auth ("fetch") with
// OTP fallback; on desktop, Instant Link in role "secondary", without a retry
// step unless the script has `retry` (then as Prove's implementation guide
// shows: withInstantLinkFallback(start, retry)). The user's part is scripted
// by the Go test.
//
//   harness.start({authToken, mockURL, correlationId, script}) → true
//   harness.outcome() → Promise<Outcome>
//   harness.deviceId() → the SDK's getDeviceId() (the Prove Key's deviceId
//                        in localStorage), or null
// A page may run the SDK again once the previous run has settled (Unify:
// the second run of the same browser profile uses the Prove Key).
//
// script (all optional):
//   phones: ["2009990039", ...]  numbers the user types when the SDK asks for
//                                one (phoneNumberNeeded, or after a
//                                PhoneValidationError), in order
//   otp: [entry, ...]            what the user does at each OTP prompt:
//     {action: "sms"}            reads the newest OTP SMS of the flow from
//                                mockprove's outbox (GET /_mock/sms)
//     {action: "sms", index: 0}  reads the n-th OTP SMS of the flow instead
//     {action: "code", code: "0000"}  types this code
//     {action: "resend"}         OtpFinishResultType.OnResendOtp
//     {action: "change"}         OtpFinishResultType.OnMobileNumberChange
//     {action: "cancel"}         the user gives up: the step rejects
//     advance: "2m1s"            (with any action) first moves mockprove's
//                                clock (POST /_mock/clock/advance)
//   retry: ["resend", ...]       registers the Instant Link retry step and
//                                what the user picks each time the SDK calls
//                                it: "resend" (InstantLinkResultType.OnResend)
//                                or "change" (OnMobileNumberChange: the start
//                                step then asks for a number, from phones);
//                                once the list is used up the user just waits
//                                on the screen (the step never settles; the
//                                status WebSocket decides)
//
// Outcome: {mobile, resolved, error, errorCode, finishCalledWith, finishCalls,
//           otpErrors, otpErrorCodes, phoneErrors, phoneErrorCodes, events,
//           sdkLog (the SDK's debug log)}
(function () {
  'use strict';

  let running = null;
  let settled = false;
  let sdkLog = [];

  // The SDK's own log (LoggerFactory.setLogWriter, a public API): kept in the
  // outcome and forwarded to the console.
  const LEVELS = ['disabled', 'error', 'warn', 'info', 'debug', 'trace'];
  const logWriter = {
    write: function (level, ...args) {
      const line = args.map(logString).join('');
      sdkLog.push(LEVELS[level] + ' ' + line);
      (level <= 1 ? console.error : level === 2 ? console.warn : console.info)('[sdk]', line);
    },
  };

  function describeError(e) {
    if (e === undefined || e === null) return null;
    if (typeof e === 'string') return e;
    return String(e.message || e);
  }

  function logString(a) {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.message;
    try {
      return JSON.stringify(a);
    } catch (e) {
      return String(a);
    }
  }

  async function execute(p) {
    const out = {
      mobile: false,
      resolved: false,
      error: null,
      errorCode: null,
      finishCalledWith: null,
      finishCalls: 0,
      otpErrors: [],
      otpErrorCodes: [],
      phoneErrors: [],
      phoneErrorCodes: [],
      events: [],
      sdkLog: [],
    };
    sdkLog = out.sdkLog;
    const script = p.script || {};
    const phones = (script.phones || []).slice();
    const entries = (script.otp || []).slice();
    const retries = Array.isArray(script.retry) ? script.retry.slice() : null;
    const event = (type, detail) => {
      const e = Object.assign({ type: type }, detail || {});
      out.events.push(e);
      console.log('harness event', JSON.stringify(e));
    };

    // The user's phone and the test's hand on the clock: mockprove's control API.
    async function control(path, init) {
      const resp = await fetch(p.mockURL + path, init);
      const text = await resp.text();
      if (!resp.ok) throw new Error(path + ': HTTP ' + resp.status + ' ' + text);
      return text ? JSON.parse(text) : null;
    }
    async function readOTP(index) {
      const msgs = await control('/_mock/sms?kind=otp&correlationId=' + encodeURIComponent(p.correlationId));
      if (!msgs.length) throw new Error('no OTP SMS in the outbox');
      const m = index === undefined ? msgs[msgs.length - 1] : msgs[index];
      if (!m) throw new Error('no OTP SMS #' + index + ' (outbox has ' + msgs.length + ')');
      return m.code;
    }
    async function advance(duration) {
      event('advance', { duration: duration });
      await control('/_mock/clock/advance', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ duration: duration }),
      });
    }

    // Phone number prompt shared by OTP and Instant Link start steps.
    function askPhone(step, phoneNumberNeeded, err) {
      event(step, {
        phoneNumberNeeded: phoneNumberNeeded,
        error: describeError(err),
        code: err && err.code,
        phoneValidationError: !!err && err instanceof proveAuth.PhoneValidationError,
      });
      if (err) {
        out.phoneErrors.push(describeError(err));
        out.phoneErrorCodes.push(err.code === undefined ? null : err.code);
      }
      if (!phoneNumberNeeded && !err) return Promise.resolve(null); // number known: consent only
      const phone = phones.shift();
      if (phone === undefined) {
        event('script-exhausted', { step: step });
        return Promise.reject('the script has no phone number left');
      }
      event('phone-entered', { phoneNumber: phone });
      return Promise.resolve({ phoneNumber: phone });
    }

    function otpStart(phoneNumberNeeded, phoneValidationError) {
      return askPhone('otpStart', phoneNumberNeeded, phoneValidationError);
    }

    async function otpFinish(otpError) {
      event('otpFinish', {
        error: describeError(otpError),
        code: otpError && otpError.code,
        otpError: !!otpError && otpError instanceof proveAuth.OtpError,
      });
      if (otpError) {
        out.otpErrors.push(describeError(otpError));
        out.otpErrorCodes.push(otpError.code === undefined ? null : otpError.code);
      }
      const entry = entries.shift();
      if (!entry) {
        event('script-exhausted', { step: 'otpFinish' });
        throw 'the script has no OTP entry left';
      }
      if (entry.advance) await advance(entry.advance);
      const T = proveAuth.OtpFinishResultType;
      switch (entry.action) {
        case 'resend':
          event('otp-resend');
          return { resultType: T.OnResendOtp };
        case 'change':
          event('otp-change-number');
          return { resultType: T.OnMobileNumberChange };
        case 'cancel':
          event('otp-cancel');
          throw 'user cancelled';
        case 'code':
          event('otp-entered', { otp: entry.code });
          return { resultType: T.OnSuccess, input: { otp: entry.code } };
        case 'sms': {
          const code = await readOTP(entry.index);
          event('otp-entered', { otp: code, fromSMS: true });
          return { resultType: T.OnSuccess, input: { otp: code } };
        }
      }
      throw 'unknown script action ' + entry.action;
    }

    function instantLinkStart(phoneNumberNeeded, phoneValidationError) {
      return askPhone('instantLinkStart', phoneNumberNeeded, phoneValidationError);
    }

    // The Instant Link retry step: the wait screen's "Resend" and "Change number".
    function instantLinkRetry() {
      event('instantLinkRetry');
      const choice = retries.shift();
      const T = proveAuth.InstantLinkResultType;
      switch (choice) {
        case undefined:
          event('retry-wait'); // the user waits for the link: the WebSocket decides
          return new Promise(function () {});
        case 'resend':
          event('retry-resend');
          return Promise.resolve(T.OnResend);
        case 'change':
          event('retry-change-number');
          return Promise.resolve(T.OnMobileNumberChange);
      }
      return Promise.reject('unknown retry action ' + choice);
    }

    function finish(input) {
      out.finishCalls++;
      out.finishCalledWith = input ? input.authId : null;
      event('finish', { authId: out.finishCalledWith });
      // A real app calls its backend here, which calls /v3/validate; the Go
      // test does that itself once the outcome is back.
      return Promise.resolve();
    }

    // As in Prove's docs: decide the wiring by the platform.
    out.mobile = new proveAuth.AuthenticatorBuilder().build().isMobileWeb();
    let builder = new proveAuth.AuthenticatorBuilder();
    if (out.mobile) {
      builder = builder
        .withAuthFinishStep(finish)
        .withMobileAuthImplementation('fetch')
        .withOtpFallback(otpStart, otpFinish);
    } else {
      builder = builder
        .withAuthFinishStep(finish)
        .withInstantLinkFallback(instantLinkStart, retries ? instantLinkRetry : undefined)
        .withRole('secondary');
    }
    event('authenticate', { mobile: out.mobile });
    try {
      await builder.build().authenticate(p.authToken);
      out.resolved = true;
      event('resolved');
    } catch (e) {
      out.error = describeError(e);
      out.errorCode = e && e.code !== undefined ? e.code : null;
      event('rejected', { error: out.error, code: out.errorCode });
    }
    return out;
  }

  window.harness = {
    sdkVersion: typeof proveAuth !== 'undefined' ? proveAuth.VERSION : null,
    start: function (params) {
      if (running && !settled) throw new Error('harness: already started');
      proveAuth.LoggerFactory.setLogWriter(logWriter);
      proveAuth.LoggerFactory.setLogLevel(proveAuth.LogLevel.debug);
      settled = false;
      running = execute(params).finally(function () {
        settled = true;
      });
      return true;
    },
    deviceId: function () {
      return new proveAuth.AuthenticatorBuilder().build().getDeviceId() || null;
    },
    outcome: function () {
      if (!running) return Promise.reject(new Error('harness: not started'));
      return running;
    },
  };
})();
