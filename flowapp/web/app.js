// flowapp's page: Prove Identity in a browser, as the implementation guide
// describes it (step 1 phone entry → flow type → /initialize → Prove's web SDK
// authenticate() with OTP on phones or Instant Link on computers → /verify →
// optional /challenge → details form → /finish). Vanilla ES2020, no build.
//
// The SDK (global `proveAuth`, @prove-identity/prove-auth 3.6.2) is loaded
// unmodified from /sdk/prove-auth.js. It orchestrates the possession check and
// calls the step functions below; the page never calls them itself.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------------
  // Backend calls (flowapp's own API; contract: errors are
  // {"error":{"code","message","proveCode"?}}).

  const { ApiError, api } = window.acmeApi; // api.js

  // ---------------------------------------------------------------------------
  // Configuration (GET /config).

  const config = { otpTimeoutSeconds: 120, instantLinkTimeoutSeconds: 180, phoneUrl: '' };
  const configLoaded = api('/config')
    .then((c) => Object.assign(config, c))
    .catch(() => config); // the defaults are fine

  // ---------------------------------------------------------------------------
  // The SDK's own log: when the SDK ends a possession check early (OTP
  // expired, link expired, too many wrong codes) it goes on to the finish
  // step without telling the app why; the reason only appears in its log.
  // LoggerFactory.setLogWriter is the SDK's public hook for that log: keep
  // writing to the console, and remember the last step failure.

  const sdkLog = { failure: '' };

  function hookSdkLog() {
    const pa = window.proveAuth;
    if (!pa || !pa.LoggerFactory || typeof pa.LoggerFactory.setLogWriter !== 'function') {
      return;
    }
    const errorLevel = pa.LogLevel ? pa.LogLevel.error : 1;
    const warnLevel = pa.LogLevel ? pa.LogLevel.warn : 2;
    pa.LoggerFactory.setLogWriter({
      write(level, ...args) {
        const line = args.map((a) => (a instanceof Error ? a.message : String(a))).join('');
        if (level === errorLevel && /failed/i.test(line) && /^report-error-step/.test(line)) {
          sdkLog.failure = line;
        }
        const out = level === errorLevel ? console.error : level === warnLevel ? console.warn : console.info;
        out.call(console, '[prove-auth]', ...args);
      },
    });
  }

  // Why the SDK ended the possession check, in words for the customer, or ''.
  function sdkFailureReason(flowType) {
    const line = sdkLog.failure.toLowerCase();
    if (!line) {
      return '';
    }
    if (line.includes('expired')) {
      return flowType === 'desktop'
        ? `The link we texted expired before it was opened. Links work for ${minutes(config.instantLinkTimeoutSeconds)}.`
        : `Your code expired. Codes work for ${minutes(config.otpTimeoutSeconds)} after we send them.`;
    }
    if (line.includes('too many') || line.includes('attempts')) {
      return 'Too many incorrect codes were entered.';
    }
    return '';
  }

  // waitWords says a Retry-After as the customer reads it.
  function waitWords(seconds) {
    if (!(seconds > 0)) {
      return 'a few minutes';
    }
    if (seconds < 60) {
      return seconds === 1 ? '1 second' : `${seconds} seconds`;
    }
    const m = Math.ceil(seconds / 60);
    return m === 1 ? '1 minute' : `${m} minutes`;
  }

  function minutes(seconds) {
    const m = Math.round(seconds / 60);
    if (seconds % 60 !== 0 || m < 1) {
      return `${seconds} seconds`;
    }
    return m === 1 ? '1 minute' : `${m} minutes`;
  }

  // ---------------------------------------------------------------------------
  // Views, step indicator, status.

  const views = ['phone', 'otp', 'change', 'wait', 'busy', 'challenge', 'details', 'result', 'error'];

  function show(name, focusId) {
    for (const v of views) {
      const el = $('view-' + v);
      if (el) {
        el.hidden = v !== name;
      }
    }
    const view = $('view-' + name);
    const step = view && view.dataset.step;
    if (step) {
      setStep(Number(step));
    }
    document.body.dataset.view = name;
    if (focusId === false) {
      return;
    }
    const target = focusId ? $(focusId) : view && view.querySelector('.view__title');
    if (target) {
      // Focus moves to the new content so keyboard and screen-reader users follow.
      target.focus();
    }
  }

  function setStep(n) {
    for (const li of document.querySelectorAll('#steps .steps__item')) {
      const s = Number(li.dataset.step);
      li.classList.toggle('is-done', s < n);
      li.classList.toggle('is-current', s === n);
      if (s === n) {
        li.setAttribute('aria-current', 'step');
      } else {
        li.removeAttribute('aria-current');
      }
    }
  }

  function status(text) {
    $('status').textContent = text || '';
  }

  function busy(title, text) {
    $('busy-title').textContent = title;
    $('busy-text').textContent = text || '';
    status(title);
    show('busy');
  }

  // fieldError shows or clears a field's error. An error element that is a
  // live region (aria-live) stays in the page, empty when there is no
  // error, so that screen readers announce what is written into it; the
  // others are hidden when empty.
  function fieldError(id, message) {
    const el = $(id);
    if (!el) {
      return;
    }
    el.textContent = message || '';
    if (!el.hasAttribute('aria-live')) {
      el.hidden = !message;
    }
  }

  function markInvalid(input, invalid) {
    if (invalid) {
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
  }

  function setFormBusy(form, on) {
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    for (const b of form.querySelectorAll('button')) {
      b.disabled = on;
    }
  }

  // ---------------------------------------------------------------------------
  // Phone numbers.

  // normalizePhone keeps digits and a leading +; it returns '' when the
  // number is not 10 to 15 digits.
  function normalizePhone(raw) {
    const s = String(raw || '').trim();
    const plus = s.startsWith('+');
    const digits = s.replace(/\D/g, '');
    if (digits.length < 10 || digits.length > 15) {
      return '';
    }
    return (plus ? '+' : '') + digits;
  }

  function formatPhone(p) {
    const d = String(p || '').replace(/\D/g, '');
    const national = d.length === 11 && d.startsWith('1') ? d.slice(1) : d;
    if (national.length === 10) {
      return `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
    }
    return p;
  }

  // ---------------------------------------------------------------------------
  // Flow state. Every flow gets a generation number: a restart bumps it, and
  // callbacks of an older flow do nothing.

  const flow = {
    gen: 0,
    flowType: '',
    phone: '',
    authenticating: null, // the SDK's CancelablePromise
    verify: null, // the /verify answer
    otpPending: null, // {resolve, reject} of the OTP finish step
    phonePending: null, // {resolve, reject} of a start step that needs a number
    retryPending: null, // {resolve, reject} of the Instant Link retry step
    otpResent: false,
    countdown: 0,
    countdownTimer: 0,
    linkExpiredLocally: false,
    maskedSSN: '', // the pre-filled SSN as the server sent it ("*****0596")
  };

  const isCurrent = (gen) => gen === flow.gen;

  function stopCountdown() {
    if (flow.countdownTimer) {
      clearInterval(flow.countdownTimer);
      flow.countdownTimer = 0;
    }
  }

  // cancelSteps rejects the SDK step the page is waiting on (the OTP form,
  // the change-number form), as the guide asks when the customer cancels:
  // the SDK then ends its flow.
  function cancelSteps(reason) {
    const otp = flow.otpPending;
    const phone = flow.phonePending;
    const retry = flow.retryPending;
    flow.otpPending = null;
    flow.phonePending = null;
    flow.retryPending = null;
    for (const reject of [otp && otp.reject, phone && phone.onCancel, retry && retry.reject]) {
      if (typeof reject === 'function') {
        try {
          reject(reason);
        } catch (e) {
          // already settled
        }
      }
    }
  }

  // restart is every "Start again" button: it cancels what the SDK is doing
  // and goes back to step 1.
  function restart() {
    flow.gen++; // nothing of the old flow may move the page any more
    stopCountdown();
    cancelSteps('user cancelled');
    if (flow.authenticating && typeof flow.authenticating.cancel === 'function') {
      try {
        flow.authenticating.cancel(); // closes the SDK's WebSocket
      } catch (e) {
        // already settled
      }
    }
    Object.assign(flow, {
      authenticating: null, verify: null, otpResent: false, flowType: '', linkExpiredLocally: false, maskedSSN: '',
    });
    sdkLog.failure = '';
    setSSNHint('');
    for (const f of ['otp-form', 'change-form', 'challenge-form', 'details-form']) {
      $(f).reset();
      setFormBusy($(f), false);
    }
    for (const id of ['otp-error', 'change-error', 'challenge-error', 'details-error', 'phone-error',
      'first-name-error', 'last-name-error', 'dob-error', 'ssn-error', 'email-error', 'address-error']) {
      fieldError(id, '');
    }
    $('prefill-note').hidden = true;
    $('otp-note').hidden = true;
    setFormBusy($('phone-form'), false);
    status('');
    show('phone', 'phone');
  }

  // ---------------------------------------------------------------------------
  // Failures.

  function fail(title, message, detail) {
    if (!title) {
      title = 'Something went wrong';
    }
    stopCountdown();
    flow.gen++; // nothing of this flow may move the page any more
    $('error-title').textContent = title;
    $('error-message').textContent = message;
    const d = $('error-detail');
    d.textContent = detail || '';
    d.hidden = !detail;
    status(title);
    show('error', 'restart');
  }

  // failApi shows a flowapp error (contract codes) in words.
  function failApi(err, what) {
    let detail = err.code ? `${err.code}${err.proveCode ? ' · Prove code ' + err.proveCode : ''}: ${err.message}` : err.message;
    if (config.phoneUrl && err.proveCode === 8007) {
      detail += ' Developer hint: in the sandbox, 8007 means the number is not a test user.';
    }
    switch (err.code) {
      case 'prove_unavailable':
        return fail('Verification is unavailable',
          'Our identity partner is unavailable right now. Please try again in a moment.', detail);
      case 'prove_timeout':
        return fail('Verification timed out',
          'Our identity partner took too long to answer. Please try again.', detail);
      case 'prove_rejected':
        return fail(`We couldn't ${what || 'continue'}`, err.message, detail);
      case 'no_session':
        return fail('Your session has ended', 'Your application timed out or was started elsewhere. Please start again.', detail);
      case 'wrong_step':
        return fail('Please start again', 'Your application got out of step. Please start again.', detail);
      case 'rate_limited':
        // 429 from /initialize: too many texts to this number, or attempts
        // from this network (SMS-pumping defence). flowapp's message says
        // which and how long; Retry-After says it in seconds.
        return fail('Please wait before trying again',
          err.message || `Too many verification attempts. Please try again in ${waitWords(err.retryAfter)}.`,
          err.retryAfter ? `rate_limited (Retry-After: ${err.retryAfter} s)` : 'rate_limited');
      case 'network':
        return fail('Connection problem', err.message);
      default:
        return fail('Something went wrong', err.message || 'An unexpected error happened. Please try again.', detail);
    }
  }

  // failSdk shows why Prove's SDK rejected authenticate().
  function failSdk(err, flowType) {
    if (err instanceof ApiError) {
      return failApi(err, 'verify your phone');
    }
    const raw = (err && (err.message || String(err))) || 'unknown error';
    const low = raw.toLowerCase();
    let message = 'We could not check your phone. Please start again.';
    if (low.includes('expired')) {
      message = flowType === 'desktop' ? 'The link we texted has expired.' : 'Your code expired.';
    } else if (low.includes('http error') || low.includes('failed to fetch') || low.includes('network')) {
      message = 'We could not reach the verification service. Please try again.';
    }
    return fail('Phone verification failed', message, raw);
  }

  // ---------------------------------------------------------------------------
  // Step 1 → 2: initialize and authenticate.

  function isMobileWeb() {
    // Step 2 of the guide: the flow type follows the SDK's own check.
    const authCheck = new proveAuth.AuthenticatorBuilder().build();
    return authCheck.isMobileWeb();
  }

  async function onStart(ev) {
    ev.preventDefault();
    const input = $('phone');
    const phone = normalizePhone(input.value);
    if (!phone) {
      markInvalid(input, true);
      fieldError('phone-error', input.value.trim() ? 'Enter a mobile number with 10 to 15 digits.' : 'Enter your mobile number.');
      input.focus();
      return;
    }
    markInvalid(input, false);
    fieldError('phone-error', '');
    if (!window.proveAuth) {
      fail('Verification is unavailable', 'The Prove SDK did not load, so we cannot verify your phone right now.',
        'GET /sdk/prove-auth.js failed: run `npm install` in flowapp/web (or `make run`).');
      return;
    }
    const gen = ++flow.gen;
    sdkLog.failure = '';
    flow.phone = phone;
    flow.verify = null;
    const mobile = isMobileWeb();
    flow.flowType = mobile ? 'mobile' : 'desktop';
    setFormBusy($('phone-form'), true);
    busy('Starting verification…', `Contacting your mobile carrier about ${formatPhone(phone)}.`);
    let authToken;
    try {
      await configLoaded;
      const rsp = await api('/initialize', { phoneNumber: phone, flowType: flow.flowType });
      authToken = rsp.authToken;
      if (!authToken) {
        throw new ApiError(200, 'bad_response', 'The server did not return an authToken.');
      }
    } catch (err) {
      if (isCurrent(gen)) {
        failApi(err, 'start verification for this number');
      }
      return;
    } finally {
      setFormBusy($('phone-form'), false);
    }
    if (!isCurrent(gen)) {
      return;
    }
    busy(mobile ? 'Checking your phone…' : 'Sending a link…',
      mobile ? 'This takes a few seconds.' : `Texting a link to ${formatPhone(phone)}.`);
    await authenticate(gen, mobile, authToken);
  }

  // buildAuthenticator wires the SDK exactly as the implementation guide does.
  function buildAuthenticator(gen, isMobile) {
    let builder = new proveAuth.AuthenticatorBuilder();
    if (isMobile) {
      // Set up Mobile Auth and OTP.
      builder = builder
        .withAuthFinishStep((input) => verify(gen, input.authId))
        .withMobileAuthImplementation('fetch')
        .withOtpFallback((needed, err) => otpStart(gen, needed, err), (err) => otpFinish(gen, err));
    } else {
      // Set up Instant Link.
      builder = builder
        .withAuthFinishStep((input) => verify(gen, input.authId))
        .withInstantLinkFallback((needed, err) => instantLinkStart(gen, needed, err), () => instantLinkRetry(gen))
        .withRole('secondary');
    }
    return builder.build();
  }

  async function authenticate(gen, isMobile, authToken) {
    const flowType = flow.flowType;
    const authenticator = buildAuthenticator(gen, isMobile);
    try {
      flow.authenticating = authenticator.authenticate(authToken);
      await flow.authenticating;
    } catch (err) {
      if (isCurrent(gen)) {
        failSdk(err, flowType);
      }
      return;
    }
    if (!isCurrent(gen)) {
      return;
    }
    stopCountdown();
    if (!flow.verify) {
      // The SDK ended without reaching the finish step.
      fail('Phone verification did not finish', 'The check of your phone ended before it was complete. Please start again.');
      return;
    }
    afterVerify(flow.verify, flowType);
  }

  // AuthFinishStep: the possession check is over; ask our server (which asks
  // Prove's /v3/validate) whether it passed.
  async function verify(gen, authId) {
    if (!isCurrent(gen)) {
      return;
    }
    stopCountdown();
    busy('Confirming your phone…', 'Almost there.');
    const rsp = await api('/verify', authId ? { authId } : {});
    if (isCurrent(gen)) {
      flow.verify = rsp;
    }
  }

  function afterVerify(v, flowType) {
    if (!v.success || v.next === 'done') {
      const reason = sdkFailureReason(flowType) ||
        (flowType === 'desktop' && flow.linkExpiredLocally ? 'The link we texted has expired.' : '');
      fail('We could not verify your phone number',
        reason || 'We could not verify this mobile number for you. Check the number and start again.',
        reason ? '' : 'Prove did not validate the phone number.');
      return;
    }
    if (v.next === 'challenge') {
      showChallenge();
      return;
    }
    if (v.next === 'complete') {
      showDetails(v.individual);
      return;
    }
    fail('Something went wrong', 'We could not tell what to do next. Please start again.', `unexpected next step "${v.next}"`);
  }

  // ---------------------------------------------------------------------------
  // OTP (phones).

  // OtpStartStep: the server already has the number, so resolve(null), unless
  // the SDK asks for one (the customer chose "Change number", or the number
  // was refused).
  function otpStart(gen, phoneNumberNeeded, phoneValidationError) {
    return new Promise((resolve, reject) => {
      if (!isCurrent(gen)) {
        return; // a restarted flow: leave the old SDK flow pending
      }
      if (!phoneNumberNeeded && !phoneValidationError) {
        busy('Sending your code…', `Texting a code to ${formatPhone(flow.phone)}.`);
        resolve(null);
        return;
      }
      askPhone(gen, phoneValidationError, (number) => {
        flow.phone = number;
        flow.otpResent = false;
        busy('Sending your code…', `Texting a code to ${formatPhone(number)}.`);
        resolve({ phoneNumber: number });
      }, reject);
    });
  }

  // OtpFinishStep: show the code form; the SDK calls this again (with an
  // OtpError) when a code is wrong, and after a resend.
  function otpFinish(gen, otpError) {
    return new Promise((resolve, reject) => {
      if (!isCurrent(gen)) {
        return;
      }
      flow.otpPending = { resolve, reject };
      $('otp-phone').textContent = formatPhone(flow.phone);
      $('otp-minutes').textContent = minutes(config.otpTimeoutSeconds);
      const form = $('otp-form');
      setFormBusy(form, false);
      for (const b of ['otp-resend', 'otp-change']) {
        $(b).disabled = false;
      }
      const input = $('otp');
      input.value = '';
      const note = $('otp-note');
      note.hidden = !flow.otpResent;
      note.textContent = flow.otpResent ? `We sent a new code to ${formatPhone(flow.phone)}.` : '';
      flow.otpResent = false;
      if (otpError) {
        markInvalid(input, true);
        fieldError('otp-error', `That code didn't work. ${otpError.message || ''}`.trim());
        status("That code didn't work.");
      } else {
        markInvalid(input, false);
        fieldError('otp-error', '');
        status(`Code sent to ${formatPhone(flow.phone)}.`);
      }
      sdkLog.failure = '';
      show('otp', 'otp');
    });
  }

  function takeOtpPending() {
    const p = flow.otpPending;
    flow.otpPending = null;
    if (p) {
      setFormBusy($('otp-form'), true);
      $('otp-resend').disabled = true;
      $('otp-change').disabled = true;
    }
    return p;
  }

  function onOtpSubmit(ev) {
    ev.preventDefault();
    const input = $('otp');
    const otp = input.value.replace(/\s/g, '');
    if (!/^\d{4,8}$/.test(otp)) {
      markInvalid(input, true);
      fieldError('otp-error', 'Enter the code from the text message (digits only).');
      input.focus();
      return;
    }
    const p = takeOtpPending();
    if (!p) {
      return;
    }
    status('Checking your code…');
    p.resolve({ resultType: proveAuth.OtpFinishResultType.OnSuccess, input: { otp } });
  }

  function onOtpResend() {
    const p = takeOtpPending();
    if (!p) {
      return;
    }
    flow.otpResent = true;
    busy('Sending a new code…', `Texting a new code to ${formatPhone(flow.phone)}.`);
    p.resolve({ resultType: proveAuth.OtpFinishResultType.OnResendOtp });
  }

  function onOtpChange() {
    const p = takeOtpPending();
    if (!p) {
      return;
    }
    status('Enter a different number.');
    p.resolve({ resultType: proveAuth.OtpFinishResultType.OnMobileNumberChange });
  }

  // askPhone shows the in-page number form for a start step that needs a
  // number, with the SDK's PhoneValidationError when the last one was refused.
  function askPhone(gen, phoneValidationError, onNumber, onCancel) {
    flow.phonePending = { gen, onNumber, onCancel };
    const input = $('new-phone');
    setFormBusy($('change-form'), false);
    if (phoneValidationError) {
      markInvalid(input, true);
      fieldError('change-error', `We can't use that number. ${phoneValidationError.message || ''}`.trim());
      status("We can't use that number.");
    } else {
      markInvalid(input, false);
      fieldError('change-error', '');
      input.value = '';
      status('Enter the mobile number to use.');
    }
    show('change', 'new-phone');
  }

  function onChangeSubmit(ev) {
    ev.preventDefault();
    const input = $('new-phone');
    const number = normalizePhone(input.value);
    if (!number) {
      markInvalid(input, true);
      fieldError('change-error', 'Enter a mobile number with 10 to 15 digits.');
      input.focus();
      return;
    }
    const p = flow.phonePending;
    if (!p || !isCurrent(p.gen)) {
      return;
    }
    flow.phonePending = null;
    setFormBusy($('change-form'), true);
    p.onNumber(number);
  }

  // ---------------------------------------------------------------------------
  // Instant Link (computers).

  // InstantLinkStartStep: the server has the number: resolve(null) and wait.
  function instantLinkStart(gen, phoneNumberNeeded, phoneValidationError) {
    return new Promise((resolve, reject) => {
      if (!isCurrent(gen)) {
        return;
      }
      if (!phoneNumberNeeded && !phoneValidationError) {
        showWaiting();
        resolve(null);
        return;
      }
      askPhone(gen, phoneValidationError, (number) => {
        flow.phone = number;
        showWaiting();
        resolve({ phoneNumber: number });
      }, reject);
    });
  }

  // InstantLinkRetryStep: the SDK calls it when Prove asks the page to offer
  // "Resend" and "Change number" (and again after each resend); the link
  // sent stays valid meanwhile, and the WebSocket still moves the page on.
  function instantLinkRetry(gen) {
    return new Promise((resolve, reject) => {
      if (!isCurrent(gen)) {
        return;
      }
      flow.retryPending = { resolve, reject };
      $('wait-resend').disabled = false;
      $('wait-change').disabled = false;
      $('wait-retry').hidden = false;
    });
  }

  function takeRetryPending() {
    const p = flow.retryPending;
    flow.retryPending = null;
    $('wait-retry').hidden = true;
    return p;
  }

  function onWaitResend() {
    const p = takeRetryPending();
    if (!p) {
      return;
    }
    showWaiting();
    status(`We texted a new link to ${formatPhone(flow.phone)}.`);
    p.resolve(proveAuth.InstantLinkResultType.OnResend);
  }

  function onWaitChange() {
    const p = takeRetryPending();
    if (!p) {
      return;
    }
    stopCountdown();
    p.resolve(proveAuth.InstantLinkResultType.OnMobileNumberChange);
  }

  function showWaiting() {
    $('wait-retry').hidden = !flow.retryPending;
    $('wait-phone').textContent = formatPhone(flow.phone);
    // Developer hint (flowapp -dev-hints, on by default against a local
    // mockprove): where the virtual phone shows the text message.
    const hint = $('phone-hint-box');
    if (config.phoneUrl) {
      $('phone-link').href = config.phoneUrl;
      hint.hidden = false;
    } else {
      hint.hidden = true;
    }
    stopCountdown();
    flow.linkExpiredLocally = false;
    flow.countdown = Math.max(0, Number(config.instantLinkTimeoutSeconds) || 180);
    renderCountdown();
    flow.countdownTimer = setInterval(() => {
      flow.countdown = Math.max(0, flow.countdown - 1);
      renderCountdown();
      if (flow.countdown === 0) {
        stopCountdown();
        flow.linkExpiredLocally = true;
        status('The link has expired.');
      }
    }, 1000);
    status(`We texted a link to ${formatPhone(flow.phone)}.`);
    show('wait');
  }

  function renderCountdown() {
    const s = flow.countdown;
    $('countdown').textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    $('countdown-label').textContent = s > 0 ? 'Link expires in' : 'Link expired';
    $('view-wait').classList.toggle('is-expired', s === 0);
  }

  // ---------------------------------------------------------------------------
  // Challenge (Pre-Fill): date of birth or last 4 of the SSN.

  function showChallenge() {
    $('challenge-form').reset();
    fieldError('challenge-error', '');
    setFormBusy($('challenge-form'), false);
    status('Your phone is verified.');
    show('challenge', 'challenge-dob');
  }

  async function onChallengeSubmit(ev) {
    ev.preventDefault();
    const form = $('challenge-form');
    const dob = $('challenge-dob').value.trim();
    const ssn = $('challenge-ssn').value.replace(/\D/g, '');
    if (!dob && !ssn) {
      fieldError('challenge-error', 'Enter your date of birth or the last 4 digits of your SSN.');
      $('challenge-dob').focus();
      return;
    }
    if (ssn && ssn.length !== 4) {
      markInvalid($('challenge-ssn'), true);
      fieldError('challenge-error', 'Enter exactly 4 digits of your SSN.');
      $('challenge-ssn').focus();
      return;
    }
    if (dob && !/^\d{4}-\d{2}-\d{2}$/.test(dob)) {
      fieldError('challenge-error', 'Enter your date of birth as a full date.');
      $('challenge-dob').focus();
      return;
    }
    markInvalid($('challenge-ssn'), false);
    fieldError('challenge-error', '');
    const gen = flow.gen;
    const body = {};
    if (dob) {
      body.dob = dob;
    }
    if (ssn) {
      body.ssn = ssn;
    }
    setFormBusy(form, true);
    status('Looking up your details…');
    let rsp;
    try {
      rsp = await api('/challenge', body);
    } catch (err) {
      if (isCurrent(gen)) {
        failApi(err, 'check those details');
      }
      return;
    } finally {
      setFormBusy(form, false);
    }
    if (!isCurrent(gen)) {
      return;
    }
    if (!rsp.success || rsp.next === 'done') {
      fail("We couldn't confirm it's you",
        "The details you entered don't match the records for this phone number. Please start again.");
      return;
    }
    showDetails(rsp.individual);
  }

  // ---------------------------------------------------------------------------
  // Personal details → /finish.

  // isoDate turns Prove's dates (YYYY-MM-DD, or an RFC 3339 timestamp such as
  // 1981-01-17T00:00:00Z) into what a date input takes.
  function isoDate(d) {
    const m = /^(\d{4}-\d{2}-\d{2})/.exec(String(d || ''));
    return m ? m[1] : '';
  }

  const detailFields = ['first-name', 'last-name', 'dob', 'ssn', 'email', 'address', 'extended-address', 'city',
    'region', 'postal-code'];

  // setSSNHint explains a masked, pre-filled SSN (or restores the usual hint).
  function setSSNHint(masked) {
    $('ssn-hint').textContent = masked
      ? 'We show only the last 4 digits of the SSN we found. Keep it, or type all 9 digits to change it.'
      : '9 digits.';
  }

  function showDetails(individual) {
    const form = $('details-form');
    form.reset();
    flow.maskedSSN = '';
    for (const id of detailFields) {
      markInvalid($(id), false);
    }
    fieldError('details-error', '');
    setFormBusy(form, false);
    let prefilled = false;
    if (individual && typeof individual === 'object') {
      const a = (Array.isArray(individual.addresses) && individual.addresses[0]) || {};
      const values = {
        'first-name': individual.firstName,
        'last-name': individual.lastName,
        dob: isoDate(individual.dob),
        ssn: individual.ssn,
        email: Array.isArray(individual.emailAddresses) ? individual.emailAddresses[0] : '',
        address: a.address,
        'extended-address': a.extendedAddress,
        city: a.city,
        region: a.region,
        'postal-code': a.postalCode,
      };
      for (const [id, v] of Object.entries(values)) {
        if (typeof v === 'string' && v) {
          $(id).value = v;
          prefilled = true;
        }
      }
      // The server sends a pre-filled SSN masked ("*****0596") and keeps the
      // full number: sending the masked form back means "the one you found".
      if (typeof individual.ssn === 'string' && /^\*+\d{4}$/.test(individual.ssn)) {
        flow.maskedSSN = individual.ssn;
      }
    }
    setSSNHint(flow.maskedSSN);
    $('prefill-note').hidden = !prefilled;
    status(prefilled ? 'Your phone is verified. Check the details we found.' : 'Your phone is verified.');
    show('details', 'first-name');
  }

  function validateDetails() {
    const v = (id) => $(id).value.trim();
    const errors = [];
    const check = (id, errId, message) => {
      const bad = Boolean(message);
      markInvalid($(id), bad);
      fieldError(errId, message);
      if (bad) {
        errors.push(id);
      }
    };
    check('first-name', 'first-name-error', v('first-name') ? '' : 'Enter your first name.');
    check('last-name', 'last-name-error', v('last-name') ? '' : 'Enter your last name.');
    const dob = v('dob');
    check('dob', 'dob-error', !dob || /^\d{4}-\d{2}-\d{2}$/.test(dob) ? '' : 'Enter a full date of birth.');
    const ssn = v('ssn').replace(/[\s-]/g, '');
    const keptMasked = Boolean(flow.maskedSSN) && ssn === flow.maskedSSN;
    check('ssn', 'ssn-error', !ssn || keptMasked || /^\d{9}$/.test(ssn) ? '' : 'Enter all 9 digits of your SSN.');
    const email = v('email');
    check('email', 'email-error', !email || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? '' : 'Enter an email address like name@example.com.');
    const addr = ['address', 'city', 'region', 'postal-code'].map(v);
    const anyAddr = addr.some(Boolean) || Boolean(v('extended-address'));
    const missing = anyAddr && !addr.every(Boolean);
    for (const id of ['address', 'city', 'region', 'postal-code']) {
      markInvalid($(id), missing && !v(id));
    }
    fieldError('address-error', missing ? 'Enter the street, city, state and ZIP code, or leave the address empty.' : '');
    if (missing) {
      errors.push(['address', 'city', 'region', 'postal-code'].find((id) => !v(id)));
    }
    return errors;
  }

  async function onDetailsSubmit(ev) {
    ev.preventDefault();
    const form = $('details-form');
    const errors = validateDetails();
    if (errors.length) {
      fieldError('details-error', 'Please correct the highlighted fields.');
      $(errors[0]).focus();
      return;
    }
    fieldError('details-error', '');
    const v = (id) => $(id).value.trim();
    const body = { firstName: v('first-name'), lastName: v('last-name') };
    if (v('dob')) {
      body.dob = v('dob');
    }
    const ssn = v('ssn').replace(/[\s-]/g, '');
    if (ssn) {
      body.ssn = ssn;
    }
    if (v('email')) {
      body.emailAddress = v('email');
    }
    if (v('address')) {
      body.address = { address: v('address'), city: v('city'), region: v('region'), postalCode: v('postal-code') };
      if (v('extended-address')) {
        body.address.extendedAddress = v('extended-address');
      }
    }
    const gen = flow.gen;
    setFormBusy(form, true);
    status('Checking your details…');
    let rsp;
    try {
      rsp = await api('/finish', body);
    } catch (err) {
      if (isCurrent(gen)) {
        failApi(err, 'check your details');
      }
      return;
    } finally {
      setFormBusy(form, false);
    }
    if (!isCurrent(gen)) {
      return;
    }
    showResult(rsp, body.firstName);
  }

  // ---------------------------------------------------------------------------
  // Result.

  function showResult(r, firstName) {
    flow.gen++; // the flow is over
    const ok = Boolean(r.success);
    $('result-success').hidden = !ok;
    $('result-failure').hidden = ok;
    $('result').dataset.success = String(ok);
    $('result-name').textContent = firstName || 'there';

    const cip = r.cipConfidence || '';
    $('cip-row').hidden = !cip;
    $('cip-confidence').textContent = cip;
    $('cip-confidence').className = cip ? 'badge badge--' + cip.toLowerCase() : '';

    const reasons = Array.isArray(r.reasonCodes) ? r.reasonCodes : [];
    $('reasons-row').hidden = reasons.length === 0;
    $('reason-codes').textContent = reasons.join(', ');

    const kyc = r.kyc && typeof r.kyc === 'object' ? r.kyc : null;
    const hits = kyc ? Number(kyc.totalHits) || 0 : 0;
    $('kyc-row').hidden = !kyc;
    $('kyc-summary').textContent = !kyc ? '' : hits > 0 ? `${hits} hit${hits === 1 ? '' : 's'}` : 'No hits';
    const list = $('kyc-list');
    list.replaceChildren();
    if (hits > 0) {
      const types = Array.isArray(kyc.amlTypes) ? kyc.amlTypes : [];
      for (const t of types) {
        const li = document.createElement('li');
        li.className = 'kyc__item';
        const name = document.createElement('span');
        name.className = 'kyc__type';
        name.textContent = t.amlType || 'List';
        const count = document.createElement('span');
        count.className = 'kyc__count';
        const n = Number(t.listHits) || 0;
        count.textContent = `${n} hit${n === 1 ? '' : 's'}`;
        li.append(name, count);
        list.append(li);
      }
    }
    $('kyc-hits').hidden = hits === 0;
    status(ok ? 'Your identity is verified.' : "We couldn't verify your identity.");
    show('result', ok ? 'result-title' : 'result-failure-title');
  }

  // ---------------------------------------------------------------------------
  // Wiring.

  function main() {
    $('phone-form').addEventListener('submit', onStart);
    $('otp-form').addEventListener('submit', onOtpSubmit);
    $('otp-resend').addEventListener('click', onOtpResend);
    $('otp-change').addEventListener('click', onOtpChange);
    $('wait-resend').addEventListener('click', onWaitResend);
    $('wait-change').addEventListener('click', onWaitChange);
    $('change-form').addEventListener('submit', onChangeSubmit);
    $('challenge-form').addEventListener('submit', onChallengeSubmit);
    $('details-form').addEventListener('submit', onDetailsSubmit);
    for (const b of document.querySelectorAll('[data-action="restart"]')) {
      b.addEventListener('click', restart);
    }
    $('phone').addEventListener('input', () => {
      markInvalid($('phone'), false);
      fieldError('phone-error', '');
    });
    $('ssn').addEventListener('focus', () => {
      // A masked SSN is replaced, not edited: typing starts over.
      if (flow.maskedSSN && $('ssn').value === flow.maskedSSN) {
        $('ssn').select();
      }
    });
    show('phone', false);
    document.body.dataset.ready = 'true';
  }

  hookSdkLog();
  main();
})();
