// Passkeys: each form marked data-passkey runs one WebAuthn ceremony with the
// browser's navigator.credentials. It asks the server for options (with a
// challenge), lets the authenticator answer, and sends the answer back; the
// server (py_webauthn) checks it. Without WebAuthn the forms stay hidden.
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); }).buffer;
  }

  function toBase64url(buffer) {
    var binary = String.fromCharCode.apply(null, new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBuffers(options) {
    options.challenge = fromBase64url(options.challenge);
    if (options.user) options.user.id = fromBase64url(options.user.id);
    ["excludeCredentials", "allowCredentials"].forEach(function (list) {
      (options[list] || []).forEach(function (descriptor) {
        descriptor.id = fromBase64url(descriptor.id);
      });
    });
    return options;
  }

  function asJSON(credential) {
    var response = credential.response;
    var answer = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      answer.response.attestationObject = toBase64url(response.attestationObject);
      answer.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      answer.response.authenticatorData = toBase64url(response.authenticatorData);
      answer.response.signature = toBase64url(response.signature);
      if (response.userHandle) answer.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(answer);
  }

  function post(url, form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (name) { data.append(name, extra[name]); });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin" }).then(
      function (response) { return response.json(); }
    );
  }

  function ceremony(form) {
    var kind = form.dataset.passkey;
    return post(form.dataset.optionsUrl, form).then(function (reply) {
      if (reply.error) throw new Error(reply.error);
      var publicKey = withBuffers(JSON.parse(reply.options));
      return kind === "register"
        ? navigator.credentials.create({ publicKey: publicKey })
        : navigator.credentials.get({ publicKey: publicKey });
    }).then(function (credential) {
      return post(form.dataset.url, form, { credential: asJSON(credential) });
    }).then(function (reply) {
      if (reply.error) throw new Error(reply.error);
      window.location.assign(reply.next);
    });
  }

  function start(form) {
    var error = form.querySelector("[data-passkey-error]");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      ceremony(form).catch(function (problem) {
        // NotAllowedError: the person cancelled, or no passkey of theirs was found.
        error.textContent = problem.name === "NotAllowedError"
          ? "No passkey was used (cancelled, or none for this site on this device)."
          : problem.message;
        error.hidden = false;
      });
    });
  }

  if (!window.PublicKeyCredential) return;
  document.querySelectorAll("form[data-passkey]").forEach(start);
})();
