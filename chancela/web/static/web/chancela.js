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

// The header menu: on a phone it folds behind a "Menu" button; without JavaScript it simply
// stays open. The "Administração" group (a <details>) closes on Escape or a click elsewhere.
document.documentElement.classList.add("js");
(function () {
  const toggle = document.querySelector(".nav-toggle");
  const menu = document.getElementById("menu-principal");
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      const open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  function closeGroups(except) {
    document.querySelectorAll("details.navgroup[open]").forEach(function (group) {
      if (group !== except) { group.open = false; }
    });
  }
  document.addEventListener("click", function (event) {
    closeGroups(event.target.closest("details.navgroup"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    const open = document.querySelector("details.navgroup[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
})();

// A table wider than the screen scrolls inside its frame: make that frame reachable with the
// keyboard (Tab, then the arrow keys) and name it for screen readers.
(function () {
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth + 1 && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      const caption = wrap.querySelector("caption");
      const heading = wrap.previousElementSibling;
      wrap.setAttribute("aria-label", (caption || heading || {}).textContent
        ? (caption || heading).textContent.trim() + " (tabela; role para o lado)"
        : "Tabela (role para o lado)");
    }
  });
})();
