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
