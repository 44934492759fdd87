// Passkeys (WebAuthn) for staff: adds one on the account page, signs in with one on the login and
// second-step pages. Forms marked data-passkey stay hidden unless this browser can use passkeys; the
// password and code forms work without this script.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function fromB64(s) {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  }
  function toB64(buf) {
    const bytes = new Uint8Array(buf);
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function put(form, name, value) {
    const input = form.querySelector('input[name="' + name + '"]');
    if (input) input.value = value;
  }

  async function ceremony(form) {
    const res = await fetch(form.dataset.options, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    const options = await res.json();
    if (!res.ok) throw new Error(options.message || res.statusText);
    const pk = options.publicKey;
    pk.challenge = fromB64(pk.challenge);
    if (form.dataset.passkey === 'create') {
      pk.user.id = fromB64(pk.user.id);
      (pk.excludeCredentials || []).forEach((c) => { c.id = fromB64(c.id); });
      const cred = await navigator.credentials.create({ publicKey: pk });
      put(form, 'client_data', toB64(cred.response.clientDataJSON));
      put(form, 'attestation_object', toB64(cred.response.attestationObject));
      put(form, 'user_handle', options.userHandle);
    } else {
      (pk.allowCredentials || []).forEach((c) => { c.id = fromB64(c.id); });
      const cred = await navigator.credentials.get({ publicKey: pk });
      put(form, 'credential_id', toB64(cred.rawId));
      put(form, 'client_data', toB64(cred.response.clientDataJSON));
      put(form, 'authenticator_data', toB64(cred.response.authenticatorData));
      put(form, 'signature', toB64(cred.response.signature));
      put(form, 'user_handle', cred.response.userHandle ? toB64(cred.response.userHandle) : '');
    }
  }

  document.querySelectorAll('form[data-passkey]').forEach((form) => {
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const status = form.querySelector('[data-passkey-status]');
      const button = form.querySelector('button[type=submit]');
      if (status) status.textContent = '';
      button.disabled = true;
      try {
        await ceremony(form);
        form.submit();
      } catch (e) {
        button.disabled = false;
        if (status) status.textContent = form.dataset.failed + (e && e.name ? ' (' + e.name + ')' : '');
      }
    });
  });
  const note = document.getElementById('passkey-nojs');
  if (note) note.hidden = true;
})();
