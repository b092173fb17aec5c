// Passkey screens (issue 10): a form marked data-passkey="create" or "get" carries the
// ceremony's options (data-passkey-options, made by the server). Pressing its button asks
// the browser for a passkey, puts the browser's answer in the form's "credential" field and
// sends the form; the server checks the answer. Without a passkey the form is not sent and
// the screen says why.
"use strict";

const NOT_USED = "Your passkey was not used. Press the button to try again.";
const UNSUPPORTED = "This browser cannot use passkeys. Please use a recovery code, or another browser.";

async function ceremony(form) {
  const options = JSON.parse(form.dataset.passkeyOptions);
  if (form.dataset.passkey === "create") {
    return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
  }
  return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
}

function say(form, message) {
  let shown = form.querySelector(".passkey-status");
  if (!shown) {
    shown = document.createElement("p");
    shown.className = "error passkey-status";
    shown.setAttribute("role", "alert");
    form.prepend(shown);
  }
  shown.textContent = message;
}

for (const form of document.querySelectorAll("form[data-passkey]")) {
  form.addEventListener("submit", async (event) => {
    if (form.elements.credential.value) {
      return; // the answer is in: let the form go
    }
    event.preventDefault();
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      say(form, UNSUPPORTED);
      return;
    }
    try {
      const credential = await ceremony(form);
      form.elements.credential.value = JSON.stringify(credential.toJSON());
      form.requestSubmit();
    } catch (error) {
      say(form, NOT_USED);
    }
  });
}
