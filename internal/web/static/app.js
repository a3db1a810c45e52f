// kessai: small hand-written behaviour; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Select-all checkbox: <input type=checkbox data-select-all="name"> toggles every input[name].
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const name = all.dataset.selectAll;
    all.addEventListener("change", () => {
      document.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((cb) => { cb.checked = all.checked; });
    });
  });
  // Confirm before submitting forms that say so.
  document.querySelectorAll("form[data-confirm]").forEach((f) => {
    f.addEventListener("submit", (e) => { if (!confirm(f.dataset.confirm)) e.preventDefault(); });
  });
});
