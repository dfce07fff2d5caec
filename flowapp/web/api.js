// flowapp's calls to its own backend, shared by its two pages (app.js and
// signin.js). Contract: errors are {"error":{"code","message","proveCode"?}};
// a non-2xx answer or an unreadable one becomes an ApiError. Vanilla ES2020,
// no build; loaded before the page's script.
window.acmeApi = (() => {
  'use strict';

  class ApiError extends Error {
    constructor(status, code, message, proveCode, retryAfter) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.code = code;
      this.proveCode = proveCode;
      this.retryAfter = retryAfter; // seconds (a 429's Retry-After), or undefined
    }
  }

  async function api(path, body) {
    const init = { headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.method = 'POST';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', 'We could not reach Acme Bank. Check your connection and try again.');
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      const retryAfter = parseInt(res.headers.get('Retry-After') || '', 10);
      throw new ApiError(res.status, err.code || 'http_' + res.status,
        err.message || `The server answered ${res.status} ${res.statusText}.`, err.proveCode,
        retryAfter > 0 ? retryAfter : undefined);
    }
    if (data === null || typeof data !== 'object') {
      throw new ApiError(res.status, 'bad_response', 'The server sent an answer we could not read.');
    }
    return data;
  }

  return { ApiError, api };
})();
