// Small progressive enhancements; every action also works without JavaScript.
document.addEventListener("click", function (event) {
  const copy = event.target.closest("[data-copy-target]");
  if (copy) {
    const target = document.getElementById(copy.dataset.copyTarget);
    if (target && navigator.clipboard) {
      navigator.clipboard.writeText(target.value || target.textContent.trim()).then(function () {
        copy.textContent = "Copiado!";
        setTimeout(function () { copy.textContent = "Copiar"; }, 2000);
      });
    } else if (target && target.select) {
      target.select();
    }
  }
  const reveal = event.target.closest("[data-reveal-target]");
  if (reveal) {
    const field = document.getElementById(reveal.dataset.revealTarget);
    if (field) {
      field.hidden = false;
      const input = field.querySelector("input, textarea");
      if (input) { input.focus(); }
      reveal.hidden = true;
    }
  }
});

// The request page reloads itself when the request changes, but never under a person typing:
// not while a field has the focus or holds something typed and not yet sent.
window.chancelaPageIdle = function () {
  const active = document.activeElement;
  if (active && active.matches("input, textarea, select")) { return false; }
  const fields = document.querySelectorAll("main input:not([type=hidden]), main textarea");
  return !Array.prototype.some.call(fields, function (field) { return field.value !== field.defaultValue; });
};
