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
// not while a field has the focus or holds something typed and not yet sent. (An event handler,
// not an hx-trigger filter: those need eval, which the Content-Security-Policy forbids.)
window.chancelaPageIdle = function () {
  const active = document.activeElement;
  if (active && active.matches("input, textarea, select")) { return false; }
  const fields = document.querySelectorAll("main input:not([type=hidden]), main textarea");
  return !Array.prototype.some.call(fields, function (field) { return field.value !== field.defaultValue; });
};
document.addEventListener("htmx:beforeRequest", function (event) {
  const element = event.detail && event.detail.elt;
  if (element && element.hasAttribute("data-when-idle") && !window.chancelaPageIdle()) {
    event.preventDefault();
  }
});

// Forms that ask before doing something that cannot be undone (data-confirm="question").
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

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

// "Enviar documento": checks as the fields are filled, drag-and-drop with an inline preview of
// each PDF, the signer panel that follows "Quem assina", and the place kept after a reload.
(function () {
  const form = document.getElementById("form-enviar");
  if (!form) { return; }

  function brDate(iso) {
    const parts = iso.split("-");
    return parts[2] + "/" + parts[1] + "/" + parts[0];
  }
  function sizeText(bytes, decimals) {
    if (bytes >= 1048576) {
      return (bytes / 1048576).toFixed(decimals).replace(/\.?0+$/, "").replace(".", ",") + " MB";
    }
    if (bytes >= 1024) { return Math.round(bytes / 1024) + " KB"; }
    return bytes + " bytes";
  }
  function sizesCompared(size, limit) {
    for (const decimals of [2, 3]) {
      if (sizeText(size, decimals) !== sizeText(limit, decimals)) {
        return [sizeText(size, decimals), sizeText(limit, decimals)];
      }
    }
    return [size.toLocaleString("pt-BR") + " bytes", limit.toLocaleString("pt-BR") + " bytes"];
  }
  function liveError(input, message) {
    const field = input.closest(".field");
    let list = field && field.querySelector("[data-live-error]");
    if (field && !list) {
      list = document.createElement("ul");
      list.className = "errorlist";
      list.setAttribute("data-live-error", "");
      list.setAttribute("aria-live", "assertive");
      list.id = input.id + "_live_error";
      input.insertAdjacentElement("afterend", list);
    }
    if (!list) { return; }
    list.textContent = "";
    if (message) {
      const item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", list.id);
      field.classList.add("has-error");
    } else {
      input.removeAttribute("aria-invalid");
      field.classList.remove("has-error");
    }
  }

  // The deadline: a past day, a day beyond Clicksign's 90 days, or a day that does not exist.
  form.querySelectorAll("[data-live-date]").forEach(function (input) {
    function check() {
      if (input.validity && input.validity.badInput) {
        liveError(input, "Essa data não existe: confira o dia, o mês e o ano.");
      } else if (!input.value) {
        liveError(input, "");
      } else if (input.min && input.value < input.min) {
        liveError(input, "O prazo precisa estar no futuro: escolha a partir de " + brDate(input.min) + ".");
      } else if (input.max && input.value > input.max) {
        liveError(input, "A Clicksign aceita prazo de no máximo 90 dias: até " + brDate(input.max) + ".");
      } else {
        liveError(input, "");
      }
    }
    input.addEventListener("change", check);
    input.addEventListener("blur", check);
    input.addEventListener("input", check);
  });

  // The PDFs: dropped or chosen, each checked at once and shown in an inline preview.
  form.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    const input = zone.querySelector("input[type=file]");
    const field = zone.closest(".field");
    const errors = field.querySelector("[data-file-errors]");
    const previews = field.querySelector("[data-file-previews]");
    const limit = parseInt(zone.dataset.maxBytes, 10);
    let urls = [];
    function show() {
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      errors.textContent = "";
      previews.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        const isPdf = /\.pdf$/i.test(file.name) && (!file.type || file.type === "application/pdf");
        let problem = "";
        if (!isPdf) {
          problem = "O arquivo “" + file.name + "” não é um PDF. Salve ou exporte o documento como PDF e envie de novo.";
        } else if (file.size === 0) {
          problem = "O arquivo “" + file.name + "” está vazio.";
        } else if (file.size > limit) {
          const sizes = sizesCompared(file.size, limit);
          problem = "O arquivo “" + file.name + "” tem " + sizes[0] + "; o limite da Clicksign é " + sizes[1] + " por documento.";
        }
        if (problem) {
          const item = document.createElement("li");
          item.textContent = problem;
          errors.appendChild(item);
          return;
        }
        const url = URL.createObjectURL(file);
        urls.push(url);
        const figure = document.createElement("figure");
        figure.className = "file-preview";
        const frame = document.createElement("iframe");
        frame.src = url;
        frame.title = "Prévia de " + file.name;
        const caption = document.createElement("figcaption");
        caption.textContent = file.name + " — " + sizeText(file.size, 2);
        figure.appendChild(caption);
        figure.appendChild(frame);
        previews.appendChild(figure);
      });
      field.classList.toggle("has-error", errors.children.length > 0);
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });

  // "Quem assina": the chosen way opens its panel and closes the other.
  // (Delegated: htmx replaces the "Quem assina" fieldset when a student or a person is chosen.)
  form.addEventListener("change", function (event) {
    const radio = event.target;
    if (!radio.matches("input[name=mode]")) { return; }
    form.querySelectorAll("details.signer-mode").forEach(function (panel) {
      panel.open = panel.dataset.mode === radio.value;
    });
  });

  // A student or a person chosen without reloading the page: focus the updated section and ask
  // the preview panel (hx-trigger "change from:#form-enviar") to show who signs now.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    const target = event.detail && event.detail.elt;
    if (!target || target.id !== "etapa-signatarios") { return; }
    const place = target.querySelector(".has-error input, #campo-student, .signer-rows");
    if (place) {
      if (!place.matches("input")) { place.setAttribute("tabindex", "-1"); }
      place.focus();
    }
    form.dispatchEvent(new Event("change"));
  });

  // After a round trip to the server, go back to where the person was: the first problem.
  const firstError = form.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (firstError && !window.location.hash.match(/^#etapa-/)) {
    firstError.scrollIntoView({ block: "center" });
    firstError.focus({ preventScroll: true });
  }
})();
