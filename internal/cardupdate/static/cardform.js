// kessai cardupdate: the card entry form. The card number, expiry, security code and holder
// never reach kessai: they are posted to the token endpoint (GMO-PG's tokenizer; in the
// sandbox the simulator's /token), and only the one-use token is sent to kessai.
"use strict";
document.querySelectorAll("form[data-card-token]").forEach((f) => {
  const field = (n) => f.querySelector(`[data-card="${n}"]`);
  const say = (msg) => { const el = f.querySelector("[data-card-error]"); if (el) { el.textContent = msg; el.hidden = !msg; } };
  f.addEventListener("submit", async (e) => {
    if (f.elements.token.value) return; // tokenized: this is the real submit
    e.preventDefault();
    const no = (field("number").value || "").replace(/[\s-]/g, "");
    const mm = (field("month").value || "").padStart(2, "0"), yy = (field("year").value || "").slice(-2);
    if (!/^\d{13,19}$/.test(no)) { say("カード番号は13〜19桁の数字で入力してください"); return; }
    if (!/^(0[1-9]|1[0-2])$/.test(mm) || !/^\d{2}$/.test(yy)) { say("有効期限（月・年）を入力してください"); return; }
    const body = new URLSearchParams({ cardNo: no, expire: yy + mm, holderName: field("holder") ? field("holder").value : "" });
    const cvc = field("cvc");
    if (cvc) {
      if (!/^\d{3,4}$/.test(cvc.value)) { say("セキュリティコードは3〜4桁の数字で入力してください"); return; }
      body.set("securityCode", cvc.value);
    }
    say("");
    try {
      const res = await fetch(f.dataset.cardToken, { method: "POST", body });
      const j = await res.json();
      if (!res.ok || !j.token) { say("カードを確認できませんでした: " + (j.error || res.status)); return; }
      f.elements.token.value = j.token;
      ["number", "month", "year", "cvc", "holder"].forEach((n) => { if (field(n)) field(n).value = ""; });
      f.submit();
    } catch (err) {
      say("トークンを取得できませんでした: " + err);
    }
  });
});
