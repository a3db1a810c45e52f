// kessai: small hand-written behaviour; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Select-all checkbox: <input type=checkbox data-select-all="name"> toggles every input[name].
  // [data-selected-count] shows how many are checked (the 「選択したN件を操作」 menu).
  const countSelected = () => {
    document.querySelectorAll("[data-selected-count]").forEach((el) => {
      const form = el.closest("form");
      el.textContent = form ? form.querySelectorAll("input[type=checkbox][name=id]:checked").length : 0;
    });
    // [data-selected-total] shows the sum of the checked rows' data-amount in yen.
    document.querySelectorAll("[data-selected-total]").forEach((el) => {
      const form = el.closest("form");
      const checked = form ? [...form.querySelectorAll("input[type=checkbox][name=id]:checked")] : [];
      el.textContent = "¥" + checked.reduce((s, cb) => s + (parseInt(cb.dataset.amount || "0", 10) || 0), 0).toLocaleString("ja-JP");
    });
  };
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const name = all.dataset.selectAll;
    all.addEventListener("change", () => {
      document.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((cb) => { cb.checked = all.checked; });
      countSelected();
    });
  });
  document.querySelectorAll("input[type=checkbox][name=id]").forEach((cb) => cb.addEventListener("change", countSelected));
  countSelected();
  // No inline script (the Content-Security-Policy forbids it): pages ask for behaviour with
  // data- attributes. data-reload="ms" reloads the page (a job still running); data-back goes
  // back in history (the link's href is the fallback).
  document.querySelectorAll("[data-reload]").forEach((el) => {
    setTimeout(() => location.reload(), Number(el.getAttribute("data-reload")) || 2000);
  });
  document.querySelectorAll("a[data-back]").forEach((a) => a.addEventListener("click", (e) => {
    if (history.length > 1) { e.preventDefault(); history.back(); }
  }));
  // Confirm before submitting forms that say so.
  // In the message, {n} is the number of rows checked in the form and {total} the sum of their
  // data-amount; with data-confirm-empty, nothing checked shows that text instead of sending.
  document.querySelectorAll("form[data-confirm]").forEach((f) => {
    f.addEventListener("submit", (e) => {
      // A button with data-no-confirm (a download, an action on 全N件 with its own confirm page)
      // skips the selection's confirm.
      if (e.submitter && e.submitter.hasAttribute("data-no-confirm")) return;
      const checked = [...f.querySelectorAll("input[type=checkbox][name=id]:checked")];
      if (checked.length === 0 && f.dataset.confirmEmpty) { alert(f.dataset.confirmEmpty); e.preventDefault(); return; }
      const total = checked.reduce((s, cb) => s + (parseInt(cb.dataset.amount || "0", 10) || 0), 0);
      const msg = f.dataset.confirm.replace("{n}", checked.length.toLocaleString("ja-JP")).replace("{total}", total.toLocaleString("ja-JP"));
      if (!confirm(msg)) e.preventDefault();
    });
  });
  // Selects that submit their form when changed (表示件数).
  // CSV出力 of チェックをつけたデータ: the checked rows' IDs go with the export's query.
  document.querySelectorAll("form.export").forEach((f) => f.addEventListener("submit", () => {
    f.querySelectorAll("input[data-export-id]").forEach((i) => i.remove());
    const scope = f.querySelector("select[data-export-scope]");
    if (!scope || scope.value !== "selected") return;
    const ids = [...document.querySelectorAll("input[type=checkbox][name=id]:checked")].map((cb) => cb.value);
    (ids.length ? ids : ["none"]).forEach((v) => { // none checked: an empty file, never everything
      const i = document.createElement("input");
      i.type = "hidden"; i.name = "id"; i.value = v; i.dataset.exportId = "";
      f.appendChild(i);
    });
  }));
  document.querySelectorAll("select[data-autosubmit]").forEach((s) => s.addEventListener("change", () => s.form.submit()));
  // Every form that changes state (method=post) is sent once: after the first submit its
  // buttons are disabled (after the event, so the pressed button's name=value still goes).
  // The server also refuses repeats (form tokens, bulk run tokens). data-once is kept for
  // buttons outside a form's own submit; data-resubmit opts a form out. A page restored by Back gets its buttons back.
  const lockForm = (f) => {
    f.addEventListener("submit", (e) => {
      if (e.defaultPrevented) return; // a data-confirm the user declined
      if (e.submitter && e.submitter.hasAttribute("data-download")) return; // the page stays
      if (f.dataset.sent) { e.preventDefault(); return; }
      f.dataset.sent = "1";
      setTimeout(() => { f.querySelectorAll("button, input[type=submit]").forEach((b) => { b.disabled = true; }); }, 0);
    });
  };
  document.querySelectorAll("form").forEach((f) => {
    if (f.hasAttribute("data-resubmit") || f.target) return; // a download or a new tab: the page stays usable
    if ((f.getAttribute("method") || "").toLowerCase() === "post" || f.querySelector("button[data-once]")) lockForm(f);
  });
  window.addEventListener("pageshow", (e) => {
    if (!e.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach((f) => {
      delete f.dataset.sent;
      f.querySelectorAll("button, input[type=submit]").forEach((b) => { b.disabled = false; });
    });
  });
  // Progress of a bulk run: poll the JSON, update the bar, reload when finished.
  document.querySelectorAll("[data-poll]").forEach((el) => {
    const bar = el.querySelector("progress"), text = el.querySelector("[data-progress]"), state = el.querySelector("[data-state]");
    const tick = async () => {
      try {
        const res = await fetch(el.dataset.poll, { headers: { Accept: "application/json" } });
        const p = await res.json();
        if (bar) { bar.max = p.total; bar.value = p.done; }
        if (text) text.textContent = `${p.done.toLocaleString()} / ${p.total.toLocaleString()}件`;
        if (state) state.textContent = p.state_label;
        if (p.finished) { location.reload(); return; }
      } catch (e) { /* keep polling: a restart or a blip shouldn't stop the page */ }
      setTimeout(tick, 1000);
    };
    setTimeout(tick, 500);
  });
  // Type-ahead: <input data-lookup="/lookup/banks" list="dl"> fills its <datalist> with
  // {code, name} matches; data-lookup-param="bank=#bank_code" adds another input's value;
  // data-lookup-name="#bank_name" receives the name of the chosen code.
  document.querySelectorAll("input[data-lookup]").forEach((input) => {
    const list = document.getElementById(input.getAttribute("list"));
    const nameInput = input.dataset.lookupName && document.querySelector(input.dataset.lookupName);
    let names = {}, timer;
    const load = async () => {
      const u = new URL(input.dataset.lookup, location.href);
      u.searchParams.set("q", input.value);
      if (input.dataset.lookupParam) {
        const [key, sel] = input.dataset.lookupParam.split("=");
        const other = document.querySelector(sel);
        if (other) u.searchParams.set(key, other.value);
      }
      try {
        const res = await fetch(u, { headers: { Accept: "application/json" } });
        if (!res.ok) return;
        const items = await res.json();
        names = {};
        list.replaceChildren(...items.map((it) => {
          names[it.code] = it.name;
          const o = document.createElement("option");
          o.value = it.code; o.label = `${it.code} ${it.name}`; o.textContent = `${it.code} ${it.name}`;
          return o;
        }));
        fill();
      } catch (e) { /* the field still takes a typed code */ }
    };
    const fill = () => { if (nameInput && names[input.value]) nameInput.value = names[input.value]; };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 150); fill(); });
    input.addEventListener("change", fill);
    // A branch belongs to its bank: when the bank it was looked up under changes, the branch
    // (its code, name and choices) is cleared rather than silently kept for the new bank.
    if (input.dataset.lookupParam) {
      const parent = document.querySelector(input.dataset.lookupParam.split("=")[1]);
      if (parent) {
        let bank = parent.value;
        const changed = () => {
          if (parent.value === bank) return;
          bank = parent.value;
          input.value = "";
          if (nameInput) nameInput.value = "";
          names = {};
          if (list) list.replaceChildren();
        };
        parent.addEventListener("input", changed);
        parent.addEventListener("change", changed);
      }
    }
    // A code the page came with (an edit, a form shown again, a transfer prefilled from the
    // customer) gets its name at once, unless the page already shows one.
    if (nameInput && input.value && !nameInput.value) load();
  });
});
// 「行を追加」: <button data-add-line="tbody-id"> copies the last empty row of that table with the
// next line number (lines.N.*). Without JavaScript the button submits and the server adds rows.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-add-line]").forEach((b) => b.addEventListener("click", (e) => {
    const body = document.getElementById(b.dataset.addLine);
    const last = body && body.querySelector("tr[data-line]:last-of-type");
    if (!last) return;
    e.preventDefault();
    const n = body.rows.length, row = last.cloneNode(true);
    row.querySelectorAll("[name]").forEach((el) => {
      el.name = el.name.replace(/^lines\.\d+\./, `lines.${n}.`);
      if (el.tagName === "SELECT") el.selectedIndex = 0; else el.value = "";
      if (el.hasAttribute("aria-label")) el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/^\d+/, n + 1));
    });
    row.cells[0].textContent = n + 1;
    body.appendChild(row);
    row.querySelector("input")?.focus();
  }));
});
