"""What is printed on each receipt of the corpus, and its truth.

`build(spec, rng)` turns a spec (locale, form, tax scheme, supplier) into layout rows and the true
field values, computed from the same amounts that are printed, so the truth always adds up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from locales import LOCALES, Locale


@dataclass
class Spec:
    locale: str
    form: str  # photo | scan | einvoice
    scheme: str  # gross1 gross2 incl net1 net2 tip service taxi fuel parking
    supplier: str
    address: list
    customer: str = ""
    # Second batch only: the photo damage (else the fixed cycle of generate.py) and the VAT
    # table row printed faintly (a row OCR may lose), by index.
    dist: list | None = None
    faint: int | None = None


@dataclass
class Built:
    rows: list
    truth: dict
    note: str
    invoice: bool  # laid out as an A4 invoice rather than a till receipt
    extra: dict = field(default_factory=dict)


def q(value: Decimal, loc: Locale) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-loc.decimals), rounding=ROUND_HALF_UP)


def pct(rate: str) -> Decimal:
    return Decimal(rate) / 100


def rate_text(rate: str, loc: Locale) -> str:
    return rate.replace(".", loc.dec) if loc.dec == "," else rate


def pick_items(loc: Locale, rng: random.Random, n: int) -> list:
    """(label, line amount) in printed (gross or net) terms."""
    out = []
    for name, lo, hi in rng.sample(loc.items, min(n, len(loc.items))):
        qty = rng.choice([1, 1, 1, 2, 3])
        if loc.decimals == 0:
            unit = Decimal(rng.randint(lo, hi) // 10 * 10)
        else:
            unit = Decimal(rng.randint(lo * 100, hi * 100 + 99)) / 100
            unit = (unit * 20).quantize(Decimal(1)) / 20  # prices end in 0 or 5 cents
        unit = max(unit, Decimal(1))
        label = name if qty == 1 else f"{qty} {loc.words['per']} {loc.money(unit)} {name}"
        if qty > 1 and rng.random() < 0.5:
            label = f"{qty}x {name}"
        out.append((label, unit * qty))
    return out


def split_gross(gross: Decimal, rate: str, loc: Locale) -> tuple[Decimal, Decimal]:
    """Gross → (net, tax), tax rounded half up as tills do."""
    tax = q(gross * pct(rate) / (1 + pct(rate)), loc)
    return gross - tax, tax


def header(spec: Spec, loc: Locale, rng: random.Random) -> list:
    rows = [("b", spec.supplier)] + [("c", a) for a in spec.address]
    if rng.random() < 0.6:
        rows.append(("c", f"{loc.words['vat_id']} {rng.randint(10_000_000, 99_999_999)}"))
    return rows


def date_row(loc: Locale, d: date, rng: random.Random, style: int) -> tuple:
    text = loc.dates[style % len(loc.dates)](d)
    hm = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    choice = rng.randint(0, 2)
    if choice == 0:
        return ("lr", f"{loc.words['date']}: {text}", hm)
    if choice == 1:
        return ("l", f"{text} {hm}  #{rng.randint(1000, 9999)}")
    return ("lr", text, f"{hm}  Bon {rng.randint(100, 999)}")


def vat_table(loc: Locale, groups: list, faint: int | None = None) -> list:
    """groups: (rate, net, tax, gross); row `faint` is printed with little ink."""
    w = loc.words
    rows = [("t", [w["tax"], w["net"], w["tax"], w["gross"]])]
    for i, (tag, (rate, net, tax, gross)) in enumerate(zip("ABC", groups)):
        cells = [f"{tag} {rate_text(rate, loc)}%", loc.money(net), loc.money(tax), loc.money(gross)]
        rows.append(("t", cells, "faint") if i == faint else ("t", cells))
    return rows


def build(spec: Spec, rng: random.Random, style: int) -> Built:
    loc = LOCALES[spec.locale]
    w = loc.words
    d = date(2023, 1, 1) + timedelta(days=rng.randint(0, 715))
    invoice = spec.form == "einvoice" or (spec.form == "scan" and style % 2 == 0)
    tip = Decimal(0)
    vat_included = False
    note = ""
    std = loc.rates[0]
    rows = header(spec, loc, rng)
    rows.append(("rule",))

    if invoice:
        return build_invoice(spec, loc, rng, d, style, rows)

    rows.append(date_row(loc, d, rng, style))
    rows.append(("rule",))
    scheme = spec.scheme
    rate_field = std

    if scheme in ("taxi", "fuel", "parking"):
        rate = {"de-DE": "7", "sv-SE": "6", "it-IT": "10", "ja-JP": "10"}.get(spec.locale, std)
        if scheme == "fuel":
            rate = std
            litres = Decimal(rng.randint(2000, 5500)) / 100
            per_l = Decimal(rng.randint(160, 199)) / 100 if loc.decimals else Decimal(rng.randint(165, 185))
            gross = q(litres * per_l, loc)
            rows += [("l", f"{w['fuel']}  P{rng.randint(1, 8)}"),
                     ("lr", f"{loc.money(litres)} l x {loc.money(per_l)}/l", loc.money(gross))]
        elif scheme == "taxi":
            km = Decimal(rng.randint(30, 250)) / 10
            gross = q(Decimal(rng.randint(12, 60)) + Decimal(rng.randint(0, 9)) / 10, loc)
            if loc.decimals == 0:
                gross = Decimal(rng.randint(15, 60) * 100)
            rows += [("l", f"km {loc.money(km) if loc.decimals else km}"), ("lr", w["taxi"], loc.money(gross))]
        else:  # parking: a net price with an odd local tax on top
            rate = "18.375"
            net = Decimal(rng.randint(25, 65))
            tax = q(net * pct(rate), loc)
            rows += [("l", "Entry 08:12  Exit 17:40"), ("lr", "Parking", loc.money(net)),
                     ("lr", f"NYC Parking Tax {rate}%", loc.money(tax)),
                     ("lr", w["total"], loc.money(net + tax, True))]
            gross = net + tax
        if scheme != "parking":
            net, tax = split_gross(gross, rate, loc)
            rows += [("lr", w["total"], loc.money(gross, True)),
                     ("lr", w["odd_tax"].format(r=rate_text(rate, loc)), loc.money(tax))]
        rows.append(("l", f"{w['card']}  **** {rng.randint(1000, 9999)}"))
        rate_field = rate
        note = f"{scheme} receipt, tax printed under an unusual label"
        total = net + tax
    elif scheme in ("net1", "net2", "tip"):
        items = pick_items(loc, rng, rng.randint(2, 5))
        rows += [("lr", label, loc.money(amount)) for label, amount in items]
        net = sum(a for _, a in items)
        rows += [("rule",), ("lr", w["subtotal"], loc.money(net))]
        if scheme == "net2":
            taxes = [("GST", "5"), ("PST", "7")]
            tax = Decimal(0)
            for name, r in taxes:
                t = q(net * pct(r), loc)
                tax += t
                rows.append(("lr", f"{name} {r}%", loc.money(t)))
            rate_field = ""
            note = "two taxes (GST + PST)"
        else:
            rate = loc.rates[style % len(loc.rates)] if loc.currency == "USD" else std
            tax = q(net * pct(rate), loc)
            rows.append(("lr", f"{w['tax']} {rate_text(rate, loc)}%", loc.money(tax)))
            rate_field = rate
        total = net + tax
        if scheme == "tip":
            tip = q((net + tax) * Decimal(rng.choice(["0.15", "0.18", "0.20"])), loc)
            if style % 2:
                rows += [("lr", w["total"], loc.money(net + tax, True)), ("lr", w["tip"], loc.money(tip)),
                         ("lr", "GRAND TOTAL", loc.money(net + tax + tip, True))]
                note = "tip after the total; the total is the grand total"
            else:
                rows += [("lr", w["tip"], loc.money(tip)), ("lr", w["total"], loc.money(net + tax + tip, True))]
                note = "tip line"
            total += tip
        else:
            rows.append(("lr", w["total"], loc.money(total, True)))
        rows.append(("l", f"{w['card']}  **** {rng.randint(1000, 9999)}"))
    else:  # gross1 gross2 incl service: shelf prices include VAT
        items = pick_items(loc, rng, rng.randint(2, 6))
        reduced = loc.rates[1] if len(loc.rates) > 1 else std
        tagged = []
        for i, (label, amount) in enumerate(items):
            r = reduced if scheme == "gross2" and i % 2 else std
            tagged.append((label, amount, r))
        for label, amount, r in tagged:
            tag = " B" if r != std else " A"
            rows.append(("lr", label, loc.money(amount) + (tag if scheme == "gross2" else "")))
        gross = sum(a for _, a, _ in tagged)
        groups = []
        for r in sorted({r for *_, r in tagged}, key=lambda x: -Decimal(x)):
            g = sum(a for _, a, rr in tagged if rr == r)
            n, t = split_gross(g, r, loc)
            groups.append((r, n, t, g))
        net = sum(g[1] for g in groups)
        tax = sum(g[2] for g in groups)
        rows.append(("rule",))
        if scheme == "service":
            tip = q(gross * Decimal("0.125"), loc)
            rows += [("lr", w["subtotal"], loc.money(gross)), ("lr", w["tip"], loc.money(tip)),
                     ("lr", w["total"], loc.money(gross + tip, True)),
                     ("lr", w["included"].format(r=rate_text(std, loc)), loc.money(tax)),
                     ("c", "Service charge is discretionary")]
            note = "service charge on top of VAT-inclusive prices"
        else:
            rows.append(("lr", w["total"] if style % 3 else w["total2"], loc.money(gross, True)))
            if scheme == "incl":
                rows.append(("c", w["incl"].format(r=rate_text(std, loc))))
                vat_included = True
                note = "only 'VAT included' with a rate is printed; net and tax are derived"
            elif scheme == "gross2" or style % 3 == 0:
                rows += [("gap",)] + vat_table(loc, groups, spec.faint)
                if scheme == "gross2" and len(groups) > 1:
                    rate_field = ""
                    note = "two tax rates"
            elif style % 3 == 1:
                rows += [("lr", f"{w['net']}", loc.money(net)),
                         ("lr", f"{w['tax']} {rate_text(std, loc)}%", loc.money(tax))]
            else:
                rows.append(("lr", w["included"].format(r=rate_text(std, loc)), loc.money(tax)))
        total = gross + tip
        paid = total if rng.random() < 0.5 else q(total + Decimal(rng.randint(1, 20)), loc)
        if paid != total:
            rows += [("lr", w["cash"], loc.money(paid)), ("lr", w["change"], loc.money(paid - total))]
        else:
            rows.append(("lr", w["card"], loc.money(total)))
    rows += [("gap",), ("c", w["thanks"])]
    truth = dict(net=net, tax=tax, total=total, tax_rate=rate_field, tip=tip, vat_included=vat_included,
                 expense_date=d)
    return Built(rows, truth, note, False)


def build_invoice(spec: Spec, loc: Locale, rng: random.Random, d: date, style: int, rows: list) -> Built:
    """An A4 invoice: net lines, tax per rate, total, a due date and the customer's name."""
    w = loc.words
    std = loc.rates[0]
    lines = []
    for name, lo, hi in rng.sample(loc.items, 3):
        qty = rng.randint(1, 12)
        unit = Decimal(rng.randint(lo * 100, hi * 100)) / 100 * 10
        unit = q(unit, loc)
        lines.append((name, qty, unit, unit * qty))
    two = spec.scheme == "gross2" and len(loc.rates) > 1
    rows += [("gap",), ("l", w["invoice"]),
             ("lr", f"{w['inv_no']} {d.year}-{rng.randint(100, 9999)}",
              f"{w['inv_date']}: {loc.dates[style % len(loc.dates)](d)}")]
    if spec.customer:
        rows.append(("l", f"{w['to']}: {spec.customer}"))
    rows += [("gap",), ("t", [w["desc"], w["qty"], w["amount"]])]
    groups: dict[str, Decimal] = {}
    for i, (name, qty, unit, amount) in enumerate(lines):
        r = loc.rates[1] if two and i == 2 else std
        groups[r] = groups.get(r, Decimal(0)) + amount
        rows.append(("t", [f"{name}" + (f" ({rate_text(r, loc)}%)" if two else ""), str(qty), loc.money(amount)]))
    net = sum(groups.values())
    rows += [("rule",), ("lr", w["net"] if loc.lang != "en" else "Net amount", loc.money(net))]
    tax = Decimal(0)
    if spec.scheme == "net2":
        for name, r in (("GST", "5"), ("PST", "7")):
            t = q(net * pct(r), loc)
            tax += t
            rows.append(("lr", f"{name} {r}%", loc.money(t)))
    else:
        for r, n in sorted(groups.items(), key=lambda kv: -Decimal(kv[0])):
            t = q(n * pct(r), loc)
            tax += t
            rows.append(("lr", f"{w['tax']} {rate_text(r, loc)}%", loc.money(t)))
    total = net + tax
    rows += [("lr", w["total2"], loc.money(total, True)), ("gap",),
             ("l", f"{w['due']}: {loc.dates[0](d + timedelta(days=30))}"),
             ("l", f"IBAN XX{rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} "
                   f"{rng.randint(1000, 9999)}")]
    rate_field = "" if (two or spec.scheme == "net2") else std
    truth = dict(net=net, tax=tax, total=total, tax_rate=rate_field, tip=Decimal(0), vat_included=False,
                 expense_date=d)
    note = "invoice with a due date and a customer name" + ("; two tax rates" if rate_field == "" else "")
    return Built(rows, truth, note, True)
