"""HTML of the sandbox's hosted checkout (``/wompi/checkout/l/{id}``).

Self-contained on purpose (inline CSS and JS, no fonts, images or CDNs): the sandbox
runs offline and the page must look like a payment page to a person testing the bot
from the web chat. Spanish is rendered by the server; the EN toggle swaps texts in
place from a dictionary embedded in the page, so nothing typed is lost. Without
JavaScript the form still posts and lands on a result page that refreshes itself.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.sandbox.wompi.emulator import Link, Transaction
from bot.sandbox.wompi.validation import PSE_BANKS

TEXT: dict[str, dict[str, str]] = {
    "es": {
        "title": "Pagar",
        "merchant_label": "Pagas a",
        "total": "Total a pagar",
        "choose": "Elige cómo pagar",
        "card": "Tarjeta",
        "nequi_phone": "Número de celular Nequi",
        "nequi_help": "Te llegará una notificación a la app Nequi para aceptar el pago.",
        "bank": "Banco",
        "person_type": "Tipo de persona",
        "natural": "Natural",
        "juridica": "Jurídica",
        "id_type": "Tipo de documento",
        "id_number": "Número de documento",
        "card_number": "Número de la tarjeta",
        "expiry": "Vence (MM/AA)",
        "cvc": "CVC",
        "card_holder": "Nombre en la tarjeta",
        "installments": "Cuotas",
        "email": "Correo electrónico",
        "full_name": "Nombre completo",
        "amount_open": "Monto a pagar (COP)",
        "accept": "Acepto el reglamento y la autorización de datos personales",
        "pay": "Pagar",
        "paying": "Procesando tu pago…",
        "APPROVED": "¡Pago aprobado!",
        "DECLINED": "Pago rechazado",
        "ERROR": "No pudimos procesar el pago",
        "VOIDED": "Pago anulado",
        "PENDING": "Pago en proceso…",
        "retry": "Intentar de nuevo",
        "back": "Volver al comercio",
        "transaction": "Transacción",
        "reference": "Referencia",
        "method": "Método",
        "failed": "No se pudo enviar el pago",
        "LINK_INACTIVE": "Este link de pago ya no está activo.",
        "LINK_EXPIRED": "Este link de pago expiró.",
        "LINK_ALREADY_PAID": "Este link de pago ya fue pagado.",
        "PAYMENT_IN_PROGRESS": "Hay un pago en curso para este link. Espera un momento.",
        "NOT_FOUND_ERROR": "No encontramos este link de pago.",
        "INPUT_VALIDATION_ERROR": "Revisa los datos del pago e inténtalo de nuevo.",
        "unavailable": "Link no disponible",
        "sandbox": "Ambiente de pruebas: ningún pago es real.",
        "test_data": "Nequi 3991111111 aprueba, 3992222222 rechaza · PSE banco 1 aprueba, 2 "
        "rechaza · Tarjeta 4242 4242 4242 4242 aprueba, 4111 1111 1111 1111 rechaza; "
        "cualquier otro dato termina en ERROR.",
        "secured": "Pagos procesados por Wompi (sandbox)",
    },
    "en": {
        "title": "Pay",
        "merchant_label": "You pay",
        "total": "Total",
        "choose": "Choose how to pay",
        "card": "Card",
        "nequi_phone": "Nequi mobile number",
        "nequi_help": "You will get a notification in the Nequi app to accept the payment.",
        "bank": "Bank",
        "person_type": "Person type",
        "natural": "Individual",
        "juridica": "Company",
        "id_type": "ID type",
        "id_number": "ID number",
        "card_number": "Card number",
        "expiry": "Expires (MM/YY)",
        "cvc": "CVC",
        "card_holder": "Name on card",
        "installments": "Instalments",
        "email": "Email",
        "full_name": "Full name",
        "amount_open": "Amount to pay (COP)",
        "accept": "I accept the terms and the personal data authorisation",
        "pay": "Pay",
        "paying": "Processing your payment…",
        "APPROVED": "Payment approved!",
        "DECLINED": "Payment declined",
        "ERROR": "We could not process the payment",
        "VOIDED": "Payment voided",
        "PENDING": "Payment in progress…",
        "retry": "Try again",
        "back": "Back to the merchant",
        "transaction": "Transaction",
        "reference": "Reference",
        "method": "Method",
        "failed": "The payment could not be sent",
        "LINK_INACTIVE": "This payment link is no longer active.",
        "LINK_EXPIRED": "This payment link has expired.",
        "LINK_ALREADY_PAID": "This payment link has already been paid.",
        "PAYMENT_IN_PROGRESS": "A payment for this link is in progress. Please wait.",
        "NOT_FOUND_ERROR": "We could not find this payment link.",
        "INPUT_VALIDATION_ERROR": "Please check the payment details and try again.",
        "unavailable": "Link unavailable",
        "sandbox": "Test environment: no payment is real.",
        "test_data": "Nequi 3991111111 approves, 3992222222 declines · PSE bank 1 approves, "
        "2 declines · Card 4242 4242 4242 4242 approves, 4111 1111 1111 1111 declines; "
        "anything else ends in ERROR.",
        "secured": "Payments processed by Wompi (sandbox)",
    },
}

_CSS = """
:root { --ink:#1f2a44; --muted:#5b6478; --line:#d9dee8; --brand:#2c2a9e; --ok:#0f7b3f;
  --bad:#b42318; --bg:#f3f5fa; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
main { max-width:460px; margin:24px auto; background:#fff; border-radius:14px;
  box-shadow:0 8px 30px rgba(31,42,68,.12); overflow:hidden; }
header { display:flex; justify-content:space-between; align-items:center; padding:14px 20px;
  background:var(--brand); color:#fff; }
.brand { font-weight:700; letter-spacing:.5px; }
.badge { font-size:.7rem; background:#ffd84d; color:#3b2f00; border-radius:6px; padding:2px 6px;
  margin-left:6px; }
#lang { background:transparent; color:#fff; border:1px solid rgba(255,255,255,.7);
  border-radius:14px; padding:4px 12px; cursor:pointer; font:inherit; }
.summary { padding:18px 20px; border-bottom:1px solid var(--line); }
.merchant { margin:0; color:var(--muted); font-size:.85rem; }
.merchant strong { color:var(--ink); }
h1 { font-size:1.15rem; margin:6px 0 4px; }
.desc { margin:0 0 10px; color:var(--muted); }
.amount { margin:0; font-size:1.8rem; font-weight:700; }
.amount small { font-size:.85rem; color:var(--muted); font-weight:400; }
form, .result, .notice { padding:16px 20px; }
fieldset { border:0; margin:0; padding:0; }
legend { font-weight:600; margin-bottom:8px; }
.methods { display:flex; gap:8px; margin-bottom:12px; }
.methods label { flex:1; border:1px solid var(--line); border-radius:10px; padding:10px;
  text-align:center; cursor:pointer; font-weight:600; }
.methods input { margin-right:6px; }
.methods label:has(input:checked) { border-color:var(--brand);
  box-shadow:0 0 0 2px rgba(44,42,158,.2); }
label.field { display:block; font-size:.85rem; color:var(--muted); margin:10px 0 4px; }
input[type=text], input[type=email], input[type=tel], select { width:100%; padding:10px;
  border:1px solid var(--line); border-radius:8px; font:inherit; color:inherit; background:#fff; }
.row { display:flex; gap:10px; } .row > div { flex:1; }
.help { font-size:.8rem; color:var(--muted); margin:6px 0 0; }
.accept { display:flex; gap:8px; align-items:flex-start; font-size:.85rem; margin:14px 0; }
button.pay { width:100%; padding:13px; border:0; border-radius:10px; background:var(--brand);
  color:#fff; font-size:1rem; font-weight:700; cursor:pointer; }
button.pay[disabled] { opacity:.6; cursor:wait; }
.errors { color:var(--bad); font-size:.9rem; margin:10px 0 0; white-space:pre-line; }
.result h2 { margin:0 0 8px; }
.result.APPROVED h2 { color:var(--ok); } .result.DECLINED h2, .result.ERROR h2 { color:var(--bad); }
.result dl { display:grid; grid-template-columns:auto 1fr; gap:4px 12px; font-size:.9rem;
  margin:0 0 12px; }
.result dt { color:var(--muted); } .result dd { margin:0; word-break:break-all; }
.result a, .retry { display:inline-block; margin-top:6px; color:var(--brand); font-weight:600; }
.retry { background:none; border:1px solid var(--brand); border-radius:8px; padding:8px 14px;
  cursor:pointer; font:inherit; }
.notice h2 { margin:0 0 6px; }
footer { padding:12px 20px 18px; font-size:.75rem; color:var(--muted);
  border-top:1px solid var(--line); }
footer p { margin:4px 0; }
"""

_JS = """
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("wompi-config").textContent);
  var lang = cfg.lang;
  function t(key) { return (cfg.text[lang] || {})[key] || key; }
  function setLang(next) {
    lang = next;
    document.documentElement.lang = next;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    document.getElementById("lang").textContent = next === "es" ? "EN" : "ES";
    var url = new URL(window.location.href);
    url.searchParams.set("lang", next);
    window.history.replaceState(null, "", url.toString());
  }
  document.getElementById("lang").addEventListener("click", function () {
    setLang(lang === "es" ? "en" : "es");
  });
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var result = document.getElementById("result");
  var errors = document.getElementById("errors");
  var button = form.querySelector("button.pay");
  function showPanel() {
    var method = form.querySelector("input[name=method]:checked").value;
    form.querySelectorAll("fieldset.panel").forEach(function (panel) {
      var on = panel.getAttribute("data-method") === method;
      panel.hidden = !on;
      panel.disabled = !on;
    });
  }
  form.querySelectorAll("input[name=method]").forEach(function (radio) {
    radio.addEventListener("change", showPanel);
  });
  showPanel();
  function redirectHref(tx) {
    var url = new URL(tx.redirect_url);
    url.searchParams.set("id", tx.id);
    return url.toString();
  }
  function row(dl, key, value) {
    var dt = document.createElement("dt");
    dt.setAttribute("data-i18n", key);
    dt.textContent = t(key);
    var dd = document.createElement("dd");
    dd.textContent = value;
    dl.appendChild(dt);
    dl.appendChild(dd);
  }
  function render(tx) {
    result.hidden = false;
    result.className = "result " + tx.status;
    result.setAttribute("data-status", tx.status);
    result.textContent = "";
    var h2 = document.createElement("h2");
    h2.setAttribute("data-i18n", tx.status);
    h2.textContent = t(tx.status);
    result.appendChild(h2);
    var dl = document.createElement("dl");
    row(dl, "transaction", tx.id);
    row(dl, "reference", tx.reference);
    row(dl, "method", tx.payment_method_type);
    result.appendChild(dl);
    if (tx.status === "PENDING") { return; }
    if (tx.redirect_url) {
      var a = document.createElement("a");
      a.href = redirectHref(tx);
      a.id = "redirect";
      a.setAttribute("data-i18n", "back");
      a.textContent = t("back");
      result.appendChild(a);
    }
    if (tx.status !== "APPROVED" || !cfg.single_use) {
      var again = document.createElement("button");
      again.type = "button";
      again.className = "retry";
      again.setAttribute("data-i18n", "retry");
      again.textContent = t("retry");
      again.addEventListener("click", function () {
        result.hidden = true;
        form.hidden = false;
        button.disabled = false;
      });
      result.appendChild(document.createElement("br"));
      result.appendChild(again);
    }
  }
  function poll(id, tries) {
    fetch(cfg.api + "/transactions/" + encodeURIComponent(id), {
      headers: { "Authorization": "Bearer " + cfg.public_key, "Accept": "application/json" }
    }).then(function (r) { return r.json(); }).then(function (body) {
      var tx = body.data;
      render(tx);
      if (tx.status === "PENDING" && tries > 0) {
        window.setTimeout(function () { poll(id, tries - 1); }, 600);
      }
    }).catch(function () {
      if (tries > 0) { window.setTimeout(function () { poll(id, tries - 1); }, 1000); }
    });
  }
  function describe(body) {
    var err = (body && body.error) || {};
    if (err.messages) {
      return Object.keys(err.messages).map(function (k) {
        return err.messages[k].join(" ");
      }).join("\\n");
    }
    return t(err.type) !== err.type ? t(err.type) : (err.reason || t("failed"));
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.textContent = "";
    var data = {};
    new FormData(form).forEach(function (value, key) { data[key] = value; });
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(data)
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (answer) {
      if (!answer.ok) {
        errors.textContent = describe(answer.body);
        button.disabled = false;
        return;
      }
      form.hidden = true;
      render(answer.body.data);
      poll(answer.body.data.id, 100);
    }).catch(function () {
      errors.textContent = t("failed");
      button.disabled = false;
    });
  });
})();
"""


def format_cop(amount_in_cents: int) -> str:
    """``15000000`` → ``$150.000``; stray centavos show as ``,50`` (es-CO style)."""
    pesos, cents = divmod(amount_in_cents, 100)
    text = f"${pesos:,}".replace(",", ".")
    return f"{text},{cents:02d}" if cents else text


def redirect_with_id(redirect_url: str, transaction_id: str) -> str:
    """``redirect_url?id=<transaction id>``, keeping any query it already has."""
    parts = urlsplit(redirect_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "id"]
    query.append(("id", transaction_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def pick_lang(value: str | None) -> str:
    return "en" if (value or "").lower().startswith("en") else "es"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _i18n(key: str, lang: str, tag: str = "span", attrs: str = "") -> str:
    return f'<{tag} data-i18n="{key}"{attrs}>{_e(TEXT[lang][key])}</{tag}>'


def _frame(lang: str, title: str, body: str, nonce: str, *, head_extra: str = "") -> str:
    toggle = "EN" if lang == "es" else "ES"
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
{head_extra}<title>{_e(title)}</title>
<style nonce="{nonce}">{_CSS}</style>
</head>
<body>
<main>
<header><span class="brand">wompi<span class="badge">SANDBOX</span></span>
<button id="lang" type="button" aria-label="English / Español">{toggle}</button></header>
{body}
<footer><p>{_i18n("sandbox", lang)}</p><p>{_i18n("test_data", lang)}</p>
<p>{_i18n("secured", lang)}</p></footer>
</main>
</body>
</html>
"""


def _summary(link: Link, merchant: str, lang: str, amount: int | None) -> str:
    amount_html = (
        f'<p class="amount" id="amount">{_e(format_cop(amount))} <small>COP</small></p>'
        if amount is not None
        else ""
    )
    return f"""<section class="summary">
<p class="merchant">{_i18n("merchant_label", lang)} <strong>{_e(merchant)}</strong></p>
<h1>{_e(link.name)}</h1>
<p class="desc">{_e(link.description)}</p>
{amount_html}
</section>"""


def _config_script(nonce: str, config: dict[str, Any]) -> str:
    data = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<script type="application/json" id="wompi-config">{data}</script>\n'
        f'<script nonce="{nonce}">{_JS}</script>'
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def checkout_page(
    link: Link, *, lang: str, merchant: str, public_key: str, api_prefix: str, nonce: str
) -> str:
    """The payment form of one open link."""
    text = TEXT[lang]
    banks = "".join(
        f'<option value="{_e(code)}">{_e(name)}</option>' for code, (name, _) in PSE_BANKS.items()
    )
    id_types = "".join(f'<option value="{v}">{v}</option>' for v in ("CC", "CE", "NIT", "PP"))
    installments = "".join(f'<option value="{n}">{n}</option>' for n in (1, 2, 3, 6, 12, 24, 36))
    open_amount = (
        ""
        if link.amount_in_cents is not None
        else f"""<label class="field" for="amount">{_i18n("amount_open", lang)}</label>
<input type="text" id="amount" name="amount" inputmode="numeric" required>"""
    )
    pay_amount = (
        f" {_e(format_cop(link.amount_in_cents))}" if link.amount_in_cents is not None else ""
    )
    form = f"""<form id="pay-form" method="post" action="/wompi/checkout/l/{_e(link.id)}/pay">
<fieldset class="methods-wrap"><legend>{_i18n("choose", lang)}</legend>
<div class="methods">
<label><input type="radio" name="method" value="NEQUI" checked>Nequi</label>
<label><input type="radio" name="method" value="PSE">PSE</label>
<label><input type="radio" name="method" value="CARD">{_i18n("card", lang)}</label>
</div></fieldset>
<fieldset class="panel" data-method="NEQUI">
<label class="field" for="phone">{_i18n("nequi_phone", lang)}</label>
<input type="tel" id="phone" name="phone" inputmode="numeric" maxlength="10"
 placeholder="3991111111" autocomplete="tel-national">
<p class="help">{_i18n("nequi_help", lang)}</p>
</fieldset>
<fieldset class="panel" data-method="PSE">
<label class="field" for="bank">{_i18n("bank", lang)}</label>
<select id="bank" name="bank">{banks}</select>
<div class="row"><div>
<label class="field" for="user_type">{_i18n("person_type", lang)}</label>
<select id="user_type" name="user_type">
<option value="0" data-i18n="natural">{_e(text["natural"])}</option>
<option value="1" data-i18n="juridica">{_e(text["juridica"])}</option></select>
</div><div>
<label class="field" for="legal_id_type">{_i18n("id_type", lang)}</label>
<select id="legal_id_type" name="legal_id_type">{id_types}</select>
</div></div>
<label class="field" for="legal_id">{_i18n("id_number", lang)}</label>
<input type="text" id="legal_id" name="legal_id" inputmode="numeric" placeholder="1999888777">
</fieldset>
<fieldset class="panel" data-method="CARD">
<label class="field" for="number">{_i18n("card_number", lang)}</label>
<input type="text" id="number" name="number" inputmode="numeric" autocomplete="cc-number"
 placeholder="4242 4242 4242 4242">
<div class="row"><div>
<label class="field" for="expiry">{_i18n("expiry", lang)}</label>
<input type="text" id="expiry" name="expiry" placeholder="12/30" autocomplete="cc-exp">
</div><div>
<label class="field" for="cvc">{_i18n("cvc", lang)}</label>
<input type="text" id="cvc" name="cvc" inputmode="numeric" maxlength="4" placeholder="123"
 autocomplete="cc-csc">
</div></div>
<div class="row"><div>
<label class="field" for="card_holder">{_i18n("card_holder", lang)}</label>
<input type="text" id="card_holder" name="card_holder" autocomplete="cc-name">
</div><div>
<label class="field" for="installments">{_i18n("installments", lang)}</label>
<select id="installments" name="installments">{installments}</select>
</div></div>
</fieldset>
{open_amount}
<label class="field" for="email">{_i18n("email", lang)}</label>
<input type="email" id="email" name="email" required autocomplete="email">
<label class="field" for="full_name">{_i18n("full_name", lang)}</label>
<input type="text" id="full_name" name="full_name" autocomplete="name">
<label class="accept"><input type="checkbox" name="accept" value="1" required>
{_i18n("accept", lang)}</label>
<button class="pay" type="submit">{_i18n("pay", lang)}{pay_amount}</button>
<p class="errors" id="errors" role="alert"></p>
</form>
<section class="result" id="result" aria-live="polite" hidden></section>"""
    config = {
        "lang": lang,
        "text": TEXT,
        "api": api_prefix,
        "public_key": public_key,
        "link_id": link.id,
        "single_use": link.single_use,
    }
    body = (
        _summary(link, merchant, lang, link.amount_in_cents) + form + _config_script(nonce, config)
    )
    return _frame(lang, f"{text['title']} · {merchant}", body, nonce)


def notice_page(
    error_type: str,
    *,
    lang: str,
    merchant: str,
    nonce: str,
    link: Link | None = None,
    details: str | None = None,
) -> str:
    """Why a link cannot be paid (inactive, expired, paid, unknown) or a form was refused."""
    text = TEXT[lang]
    summary = _summary(link, merchant, lang, link.amount_in_cents) if link else ""
    refresh = (
        '<meta http-equiv="refresh" content="2">\n' if error_type == "PAYMENT_IN_PROGRESS" else ""
    )
    key = error_type if error_type in text else "NOT_FOUND_ERROR"
    invalid = error_type == "INPUT_VALIDATION_ERROR"
    heading = _i18n("failed" if invalid else "unavailable", lang)
    extra = f"<p>{_e(details)}</p>" if details else ""
    if invalid and link is not None:
        extra += (
            f'<a class="retry" href="/wompi/checkout/l/{_e(link.id)}?lang={lang}">'
            f"{_i18n('retry', lang)}</a>"
        )
    body = (
        summary
        + f"""<section class="notice" id="notice" data-error="{_e(error_type)}">
<h2>{heading}</h2><p>{_i18n(key, lang)}</p>{extra}</section>"""
        + _config_script(nonce, {"lang": lang, "text": TEXT})
    )
    return _frame(lang, f"{text['unavailable']} · {merchant}", body, nonce, head_extra=refresh)


def result_page(
    link: Link, transaction: Transaction, *, lang: str, merchant: str, nonce: str
) -> str:
    """Outcome of a payment posted without JavaScript; refreshes while PENDING."""
    text = TEXT[lang]
    status = transaction.status
    refresh = '<meta http-equiv="refresh" content="1">\n' if status == "PENDING" else ""
    back = ""
    if status != "PENDING" and transaction.redirect_url:
        href = redirect_with_id(transaction.redirect_url, transaction.id)
        back = f'<a id="redirect" href="{_e(href)}">{_i18n("back", lang)}</a>'
    retry = ""
    if status not in ("PENDING", "APPROVED") or (status == "APPROVED" and not link.single_use):
        href = f"/wompi/checkout/l/{_e(link.id)}?lang={lang}"
        retry = f'<br><a class="retry" href="{href}">{_i18n("retry", lang)}</a>'
    body = (
        _summary(link, merchant, lang, transaction.amount_in_cents)
        + f"""<section class="result {_e(status)}" id="result" data-status="{_e(status)}">
<h2>{_i18n(status if status in text else "ERROR", lang)}</h2>
<dl><dt>{_i18n("transaction", lang, "span")}</dt><dd>{_e(transaction.id)}</dd>
<dt>{_i18n("reference", lang, "span")}</dt><dd>{_e(transaction.reference)}</dd>
<dt>{_i18n("method", lang, "span")}</dt><dd>{_e(transaction.payment_method_type)}</dd></dl>
{back}{retry}</section>"""
        + _config_script(nonce, {"lang": lang, "text": TEXT})
    )
    return _frame(
        lang,
        f"{text[status] if status in text else status} · {merchant}",
        body,
        nonce,
        head_extra=refresh,
    )
