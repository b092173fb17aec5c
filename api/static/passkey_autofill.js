// Passkey autofill on "Sign in with your email address" (conditional UI, issue 10): where
// the browser can offer passkeys among its autofill suggestions for the Email Address box
// (autocomplete="username webauthn"), a passkey sign-in is started in the background and the
// browser is asked for a passkey without a dialog. If the person picks one, they are signed
// in with it alone; if they type their address and password instead, nothing else happens.
"use strict";

const NOT_ACCEPTED = "Your passkey was not accepted. Please sign in with your email address and password.";

function say(form, message) {
  const shown = document.createElement("p");
  shown.className = "error";
  shown.setAttribute("role", "alert");
  shown.textContent = message;
  form.before(shown);
}

async function post(path, body) {
  return fetch(path, {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function offerPasskeys(form) {
  if (!window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable
      || !(await PublicKeyCredential.isConditionalMediationAvailable())) {
    return;
  }
  const start = form.dataset.passkeyAutofill;
  const started = await post(start, {});
  if (!started.ok) {
    return; // throttled or not offered: the form works as ever
  }
  const view = await started.json();
  const options = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(view.passkey_options));
  let credential;
  try {
    credential = await navigator.credentials.get({ mediation: "conditional", publicKey: options });
  } catch (error) {
    return; // no passkey chosen
  }
  const answered = await post(`${start}/answer`, { credential: JSON.stringify(credential.toJSON()) });
  const result = answered.ok ? await answered.json() : {};
  if (result.step === "done") {
    window.location.assign("/home");
  } else {
    say(form, NOT_ACCEPTED);
  }
}

for (const form of document.querySelectorAll("form[data-passkey-autofill]")) {
  offerPasskeys(form);
}
