// flowapp's "Sign in with Prove" page: Prove's Unified Authentication as a
// customer wires it (prove-unify-verify.md §2): the phone number →
// POST /signin/start (Prove /v3/unify) → Prove's web SDK authenticate(authToken)
// → POST /signin/finish (Prove /v3/unify-status) → signed in; or, with Acme's
// own code (possessionType none), POST /signin/code (flowapp's check, then
// Prove /v3/unify-bind). Vanilla ES2020, no build.
//
// The SDK does the Prove Key by itself: on a phone (role primary) it first
// checks the key it keeps in this browser (IndexedDB) and places one when
// there is none; a recognised key needs no code. The page only supplies the
// OTP screens (phones) or the Instant Link wait (computers, role secondary).
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);

  const { ApiError, api } = window.acmeApi; // api.js

  const config = { phoneUrl: '' };
  api('/config').then((c) => Object.assign(config, c)).catch(() => {});

  // ---------------------------------------------------------------------------
  // Views.

  const views = ['phone', 'otp', 'wait', 'own-code', 'busy', 'account', 'error'];

  function show(name, focusId) {
    for (const v of views) {
      $('view-' + v).hidden = v !== name;
    }
    document.body.dataset.view = name;
    if (focusId === false) {
      return;
    }
    const view = $('view-' + name);
    const target = focusId ? $(focusId) : view.querySelector('.view__title');
    if (target) {
      target.focus();
    }
  }

  function status(text) {
    $('status').textContent = text || '';
  }

  function busy(title) {
    $('busy-title').textContent = title;
    status(title);
    show('busy');
  }

  function fieldError(id, message) {
    const el = $(id);
    el.textContent = message || '';
    if (!el.hasAttribute('aria-live')) {
      el.hidden = !message;
    }
  }

  function setBusy(form, on) {
    for (const b of form.querySelectorAll('button')) {
      b.disabled = on;
    }
  }

  function normalizePhone(raw) {
    const s = String(raw || '').trim();
    const digits = s.replace(/\D/g, '');
    if (digits.length < 10 || digits.length > 15) {
      return '';
    }
    return (s.startsWith('+') ? '+' : '') + digits;
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
  // Flow state: a restart bumps gen, and callbacks of an older flow do nothing.

  const flow = { gen: 0, phone: '', possessionType: '', authenticating: null, otpPending: null };
  const isCurrent = (gen) => gen === flow.gen;

  function restart() {
    flow.gen++;
    const p = flow.otpPending;
    flow.otpPending = null;
    if (p) {
      p.reject('user cancelled');
    }
    if (flow.authenticating && typeof flow.authenticating.cancel === 'function') {
      try {
        flow.authenticating.cancel();
      } catch (e) {
        // already settled
      }
    }
    flow.authenticating = null;
    for (const f of ['phone-form', 'otp-form', 'own-code-form']) {
      setBusy($(f), false);
    }
    $('otp-form').reset();
    $('own-code-form').reset();
    fieldError('otp-error', '');
    fieldError('own-code-error', '');
    $('lost-note').hidden = true;
    status('');
    show('phone', 'phone');
  }

  function fail(title, message, detail) {
    flow.gen++;
    $('error-title').textContent = title;
    $('error-message').textContent = message;
    $('error-detail').textContent = detail || '';
    $('error-detail').hidden = !detail;
    status(title);
    show('error', 'restart');
  }

  function failApi(err) {
    const detail = err.code ? `${err.code}${err.proveCode ? ' · Prove code ' + err.proveCode : ''}: ${err.message}` : err.message;
    switch (err.code) {
      case 'rate_limited':
        return fail('Please wait before trying again', err.message, `rate_limited (Retry-After: ${err.retryAfter || '?'} s)`);
      case 'prove_rejected':
        return fail("We couldn't sign you in", err.message, detail);
      case 'no_session':
      case 'wrong_step':
        return fail('Please start again', 'Your sign-in timed out or got out of step.', detail);
      default:
        return fail('Sign-in is unavailable', err.message || 'Please try again in a moment.', detail);
    }
  }

  function failSdk(err) {
    if (err instanceof ApiError) {
      return failApi(err);
    }
    const raw = (err && (err.message || String(err))) || 'unknown error';
    return fail('Phone check failed', 'We could not check your phone. Please start again.', raw);
  }

  // ---------------------------------------------------------------------------
  // Start: POST /signin/start, then the SDK.

  function isMobileWeb() {
    return new proveAuth.AuthenticatorBuilder().build().isMobileWeb();
  }

  async function onStart(ev) {
    ev.preventDefault();
    const input = $('phone');
    const phone = normalizePhone(input.value);
    if (!phone) {
      fieldError('phone-error', 'Enter a mobile number with 10 to 15 digits.');
      input.focus();
      return;
    }
    fieldError('phone-error', '');
    if (!window.proveAuth) {
      fail('Sign-in is unavailable', 'The Prove SDK did not load.', 'GET /sdk/prove-auth.js failed: run `npm install` in flowapp/web.');
      return;
    }
    const mobile = isMobileWeb();
    const own = mobile && $('method-own').checked;
    const possessionType = own ? 'none' : mobile ? 'mobile' : 'desktop';
    const gen = ++flow.gen;
    flow.phone = phone;
    flow.possessionType = possessionType;
    setBusy($('phone-form'), true);
    busy('Starting…');
    let rsp;
    try {
      rsp = await api('/signin/start', { phoneNumber: phone, possessionType });
    } catch (err) {
      if (isCurrent(gen)) {
        failApi(err);
      }
      return;
    } finally {
      setBusy($('phone-form'), false);
    }
    if (!isCurrent(gen)) {
      return;
    }
    if (!rsp.authToken) {
      // Prove needs no client SDK for this number (sandbox short-term users).
      await finish(gen, '');
      return;
    }
    authenticate(gen, rsp.authToken, possessionType);
  }

  function authenticate(gen, authToken, possessionType) {
    let builder = new proveAuth.AuthenticatorBuilder()
      .withAuthFinishStep((input) => finish(gen, input && input.authId));
    if (possessionType === 'mobile') {
      builder = builder.withMobileAuthImplementation('fetch').withOtpFallback(
        (needed, err) => otpStart(gen, needed, err),
        (otpError) => otpFinish(gen, otpError));
    } else if (possessionType === 'desktop') {
      builder = builder.withRole('secondary').withInstantLinkFallback((needed) => linkStart(gen, needed));
    }
    // possessionType none: the SDK only checks or places the Prove Key.
    busy('Checking this device…');
    flow.authenticating = builder.build().authenticate(authToken);
    flow.authenticating.catch((err) => {
      if (isCurrent(gen)) {
        failSdk(err);
      }
    });
  }

  // OtpStartStep: flowapp gave Prove the number.
  function otpStart(gen, phoneNumberNeeded, phoneValidationError) {
    if (!isCurrent(gen)) {
      return new Promise(() => {});
    }
    if (phoneValidationError) {
      return Promise.reject(phoneValidationError);
    }
    return Promise.resolve(phoneNumberNeeded ? { phoneNumber: flow.phone } : null);
  }

  // OtpFinishStep: the code form; the SDK calls it again after a wrong code.
  function otpFinish(gen, otpError) {
    return new Promise((resolve, reject) => {
      if (!isCurrent(gen)) {
        return;
      }
      flow.otpPending = { resolve, reject };
      setBusy($('otp-form'), false);
      $('otp-phone').textContent = formatPhone(flow.phone);
      $('otp').value = '';
      if (otpError) {
        fieldError('otp-error', `That code didn't work. ${otpError.message || ''}`.trim());
        status("That code didn't work.");
        show('otp', 'otp');
        return;
      }
      fieldError('otp-error', '');
      status(`Prove texted a code to ${formatPhone(flow.phone)}.`);
      show('otp', 'otp');
    });
  }

  function onOtpSubmit(ev) {
    ev.preventDefault();
    const otp = $('otp').value.replace(/\D/g, '');
    if (!otp) {
      fieldError('otp-error', 'Enter the code from the text message.');
      return;
    }
    const p = flow.otpPending;
    if (!p) {
      return;
    }
    flow.otpPending = null;
    setBusy($('otp-form'), true);
    status('Checking the code…');
    p.resolve({ resultType: proveAuth.OtpFinishResultType.OnSuccess, input: { otp } });
  }

  function onOtpResend() {
    const p = flow.otpPending;
    if (!p) {
      return;
    }
    flow.otpPending = null;
    status('We asked Prove for a new code.');
    p.resolve({ resultType: proveAuth.OtpFinishResultType.OnResendOtp });
  }

  // InstantLinkStartStep: flowapp gave Prove the number.
  function linkStart(gen, phoneNumberNeeded) {
    if (!isCurrent(gen)) {
      return new Promise(() => {});
    }
    $('wait-phone').textContent = formatPhone(flow.phone);
    if (config.phoneUrl) {
      $('phone-link').href = config.phoneUrl;
      $('phone-hint-box').hidden = false;
    }
    status(`We texted a link to ${formatPhone(flow.phone)}.`);
    show('wait');
    return Promise.resolve(phoneNumberNeeded ? { phoneNumber: flow.phone } : null);
  }

  // ---------------------------------------------------------------------------
  // Finish: POST /signin/finish (the SDK's AuthFinishStep).

  async function finish(gen, authId) {
    if (!isCurrent(gen)) {
      return;
    }
    busy('Signing you in…');
    let rsp;
    try {
      rsp = await api('/signin/finish', authId ? { authId } : {});
    } catch (err) {
      if (isCurrent(gen)) {
        failApi(err);
      }
      return;
    }
    if (isCurrent(gen)) {
      outcome(rsp);
    }
  }

  function outcome(rsp) {
    switch (rsp.status) {
      case 'signed_in':
        return showAccount(rsp);
      case 'code_sent':
        return showOwnCode();
      case 'pending':
        return fail('Phone check not finished', 'Prove has not finished checking your phone. Please start again.');
      default:
        return fail("We couldn't sign you in", 'We could not confirm this phone is yours. Please start again.');
    }
  }

  function showOwnCode() {
    $('own-code-phone').textContent = formatPhone(flow.phone);
    $('own-code').value = '';
    fieldError('own-code-error', '');
    setBusy($('own-code-form'), false);
    status(`Acme Bank texted a code to ${formatPhone(flow.phone)}.`);
    show('own-code', 'own-code');
  }

  async function onOwnCodeSubmit(ev) {
    ev.preventDefault();
    const code = $('own-code').value.replace(/\D/g, '');
    if (code.length !== 6) {
      fieldError('own-code-error', 'Enter the 6 digits of the code.');
      $('own-code').focus();
      return;
    }
    const gen = flow.gen;
    setBusy($('own-code-form'), true);
    let rsp;
    try {
      rsp = await api('/signin/code', { code });
    } catch (err) {
      if (isCurrent(gen)) {
        failApi(err);
      }
      return;
    } finally {
      setBusy($('own-code-form'), false);
    }
    if (!isCurrent(gen)) {
      return;
    }
    if (rsp.status === 'code_wrong') {
      const left = rsp.attemptsLeft;
      $('own-code').value = '';
      fieldError('own-code-error', `That code didn't work. ${left} ${left === 1 ? 'try' : 'tries'} left.`);
      $('own-code').focus();
      return;
    }
    outcome(rsp);
  }

  // ---------------------------------------------------------------------------
  // Signed in.

  const deviceNotes = {
    recognised: 'This phone recognised you by its Prove Key: no code needed.',
    new: 'This phone now holds a Prove Key: next time, no code is needed.',
    none: 'You signed in with a link on your phone. Computers hold no Prove Key.',
  };

  function showAccount(rsp) {
    flow.gen++; // the sign-in is over
    flow.authenticating = null;
    $('account-phone').textContent = formatPhone(rsp.phoneNumber || flow.phone);
    const note = $('device-note');
    note.dataset.device = rsp.device || '';
    note.textContent = deviceNotes[rsp.device] || '';
    $('lost-note').hidden = true;
    $('lost-phone').disabled = false;
    status("You're signed in.");
    show('account');
  }

  async function onLostPhone() {
    const btn = $('lost-phone');
    btn.disabled = true;
    let rsp;
    try {
      rsp = await api('/signin/lost-phone', {});
    } catch (err) {
      failApi(err);
      return;
    }
    const n = Number(rsp.revoked) || 0;
    const note = $('lost-note');
    note.textContent = n > 0
      ? `We revoked ${n === 1 ? 'the Prove Key' : n + ' Prove Keys'} of your phones: the next sign-in needs a code again.`
      : 'Your account has no Prove Key to revoke.';
    note.hidden = false;
    status(note.textContent);
  }

  async function onLogout() {
    try {
      await api('/signin/logout', {});
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'no_session')) {
        failApi(err);
        return;
      }
    }
    restart();
    status('You signed out.');
  }

  // ---------------------------------------------------------------------------
  // Wiring.

  function main() {
    $('phone-form').addEventListener('submit', onStart);
    $('otp-form').addEventListener('submit', onOtpSubmit);
    $('otp-resend').addEventListener('click', onOtpResend);
    $('own-code-form').addEventListener('submit', onOwnCodeSubmit);
    $('lost-phone').addEventListener('click', onLostPhone);
    $('logout').addEventListener('click', onLogout);
    for (const b of document.querySelectorAll('[data-action="restart"]')) {
      b.addEventListener('click', restart);
    }
    if (window.proveAuth && isMobileWeb()) {
      $('method-box').hidden = false;
    }
    show('phone', false);
    document.body.dataset.ready = 'true';
  }

  main();
})();
