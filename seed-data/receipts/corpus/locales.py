"""Per-locale words, number styles and date styles for the Formwork receipt corpus.

Each locale is how a shop in that country prints: its language, its currency, how it writes
money and dates, the words on its receipts and invoices, and its tax rates. Everything is
fictional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "en": "January February March April May June July August September October November December",
}


def month(lang: str, d: date, short: bool = False) -> str:
    name = MONTHS[lang].split()[d.month - 1]
    return name[:3] if short else name


def money_text(value: Decimal, decimals: int, dec: str, thousands: str) -> str:
    """1234.5 → '1.234,50' (dec=',', thousands='.')."""
    q = Decimal(1).scaleb(-decimals)
    v = value.quantize(q)
    sign = "-" if v < 0 else ""
    whole, _, frac = f"{abs(v):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = thousands.join(groups)
    return sign + (out + dec + frac if decimals else out)


@dataclass
class Locale:
    key: str
    lang: str
    currency: str
    decimals: int
    dec: str
    thousands: str
    # Ways this country writes a date; each takes a date.
    dates: list
    rates: list  # standard rate first, then reduced ones (strings, percent)
    words: dict
    items: list  # (name, low, high) in whole currency units, item price as printed
    symbol: str = ""  # printed before (prefix) or after amounts on some lines
    symbol_after: bool = False
    fonts: list = field(default_factory=lambda: ["mono", "sans", "serif", "narrow"])

    def money(self, value: Decimal, with_symbol: bool = False) -> str:
        text = money_text(value, self.decimals, self.dec, self.thousands)
        if not with_symbol or not self.symbol:
            return text
        return f"{text} {self.symbol}" if self.symbol_after else f"{self.symbol}{text}"


def d_dot(d: date) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


LOCALES: dict[str, Locale] = {
    "de-DE": Locale(
        "de-DE", "de", "EUR", 2, ",", ".",
        [d_dot, lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
         lambda d: f"{d.day}. {month('de', d)} {d.year}"],
        ["19", "7"],
        dict(total="SUMME", total2="Gesamtbetrag", subtotal="Zwischensumme", net="Netto",
             tax="MwSt", gross="Brutto", incl="inkl. {r}% MwSt.", included="darin enth. MwSt {r}%",
             cash="Bar", change="Rückgeld", card="EC-Karte", thanks="Vielen Dank für Ihren Einkauf!",
             invoice="Rechnung", inv_no="Rechnungsnr.", date="Datum", inv_date="Rechnungsdatum",
             qty="Menge", desc="Bezeichnung", amount="Betrag", due="Zahlbar bis", tip="Trinkgeld",
             vat_id="USt-IdNr.", to="Rechnung an", taxi="Fahrpreis", fuel="Super E10",
             odd_tax="enth. USt. {r}%", per="je"),
        [("Brötchen", 1, 3), ("Kaffee Crema", 2, 4), ("Apfelschorle", 2, 4), ("Brezel", 1, 2),
         ("Schreibblock A4", 2, 6), ("Druckerpapier", 5, 12), ("Kugelschreiber 3er", 3, 7),
         ("Mittagsmenü", 9, 15), ("Wasser still 0,5l", 1, 3), ("Laugenstange", 1, 3)],
        symbol="€", symbol_after=True,
    ),
    "de-CH": Locale(
        "de-CH", "de", "CHF", 2, ".", "'",
        [d_dot, lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
         lambda d: f"{d.day}. {month('de', d)} {d.year}"],
        ["8.1", "2.6"],
        dict(total="Total CHF", total2="Gesamttotal", subtotal="Zwischentotal", net="Netto",
             tax="MWST", gross="Brutto", incl="inkl. {r}% MWST", included="inkl. MWST {r}%",
             cash="Bar", change="Rückgeld", card="Twint", thanks="Merci für Ihren Besuch",
             invoice="Rechnung", inv_no="Rechnung Nr.", date="Datum", inv_date="Datum",
             qty="Anz.", desc="Beschreibung", amount="Betrag", due="Zahlbar innert 30 Tagen",
             tip="Trinkgeld", vat_id="MWST-Nr. CHE-", to="An", taxi="Taxifahrt", fuel="Bleifrei 95",
             odd_tax="MWST-Anteil {r}%", per="à"),
        [("Gipfeli", 1, 3), ("Café crème", 4, 6), ("Rivella 5dl", 4, 6), ("Bündnerfleisch", 9, 16),
         ("Rösti mit Spiegelei", 19, 26), ("Mineral 5dl", 4, 6), ("Vignette", 40, 40),
         ("Zürcher Geschnetzeltes", 32, 42), ("Nusstorte", 5, 8)],
    ),
    "fr-FR": Locale(
        "fr-FR", "fr", "EUR", 2, ",", " ",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day} {month('fr', d)} {d.year}",
         lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}"],
        ["20", "10", "5.5"],
        dict(total="TOTAL TTC", total2="Net à payer", subtotal="Sous-total", net="Total HT",
             tax="TVA", gross="TTC", incl="TVA {r}% incluse", included="dont TVA {r}%",
             cash="Espèces", change="Rendu", card="CB", thanks="Merci de votre visite",
             invoice="Facture", inv_no="Facture n°", date="Date", inv_date="Date de facture",
             qty="Qté", desc="Désignation", amount="Montant", due="Échéance", tip="Pourboire",
             vat_id="N° TVA FR", to="Client", taxi="Course", fuel="Gazole",
             odd_tax="dont TVA {r}%", per="x"),
        [("Café allongé", 2, 3), ("Croque-monsieur", 6, 9), ("Pain au chocolat", 1, 2),
         ("Salade niçoise", 11, 15), ("Carafe de vin", 9, 14), ("Cahier 96 pages", 2, 5),
         ("Ramette papier", 5, 9), ("Menu du jour", 14, 19), ("Eau minérale", 2, 4)],
        symbol="€", symbol_after=True,
    ),
    "it-IT": Locale(
        "it-IT", "it", "EUR", 2, ",", ".",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
         lambda d: f"{d.day} {month('it', d)} {d.year}"],
        ["22", "10"],
        dict(total="TOTALE", total2="Totale complessivo", subtotal="Subtotale", net="Imponibile",
             tax="IVA", gross="Totale", incl="IVA {r}% inclusa", included="di cui IVA {r}%",
             cash="Contanti", change="Resto", card="Bancomat", thanks="Grazie e arrivederci",
             invoice="Fattura", inv_no="Fattura n.", date="Data", inv_date="Data fattura",
             qty="Q.tà", desc="Descrizione", amount="Importo", due="Scadenza", tip="Mancia",
             vat_id="P.IVA IT", to="Spett.le", taxi="Corsa taxi", fuel="Benzina SP",
             odd_tax="IVA assolta {r}%", per="x"),
        [("Caffè espresso", 1, 2), ("Cornetto", 1, 2), ("Tramezzino", 3, 5), ("Acqua naturale", 1, 3),
         ("Pizza margherita", 7, 10), ("Coperto", 2, 3), ("Tiramisù", 5, 7), ("Quaderno", 2, 4),
         ("Risotto ai funghi", 12, 16)],
        symbol="€", symbol_after=False,
    ),
    "es-ES": Locale(
        "es-ES", "es", "EUR", 2, ",", ".",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day} de {month('es', d)} de {d.year}",
         lambda d: f"{d.day:02d}-{d.month:02d}-{d.year % 100:02d}"],
        ["21", "10"],
        dict(total="TOTAL", total2="Importe total", subtotal="Subtotal", net="Base imponible",
             tax="IVA", gross="Total", incl="IVA {r}% incluido", included="IVA incluido {r}%",
             cash="Efectivo", change="Cambio", card="Tarjeta", thanks="Gracias por su visita",
             invoice="Factura", inv_no="Factura nº", date="Fecha", inv_date="Fecha de factura",
             qty="Cant.", desc="Concepto", amount="Importe", due="Vencimiento", tip="Propina",
             vat_id="NIF", to="Cliente", taxi="Carrera", fuel="Gasóleo A",
             odd_tax="Cuota IVA {r}%", per="x"),
        [("Café con leche", 1, 3), ("Tostada con tomate", 2, 4), ("Caña", 2, 3), ("Tortilla", 3, 5),
         ("Menú del día", 11, 16), ("Agua mineral", 1, 3), ("Croquetas", 6, 9), ("Bolígrafo", 1, 3),
         ("Paella mixta", 14, 19)],
        symbol="€", symbol_after=True,
    ),
    "nl-NL": Locale(
        "nl-NL", "nl", "EUR", 2, ",", ".",
        [lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}", lambda d: f"{d.day} {month('nl', d)} {d.year}"],
        ["21", "9"],
        dict(total="TOTAAL", total2="Te betalen", subtotal="Subtotaal", net="Excl. BTW",
             tax="BTW", gross="Incl. BTW", incl="incl. {r}% BTW", included="waarvan BTW {r}%",
             cash="Contant", change="Wisselgeld", card="PIN", thanks="Bedankt en tot ziens",
             invoice="Factuur", inv_no="Factuurnummer", date="Datum", inv_date="Factuurdatum",
             qty="Aantal", desc="Omschrijving", amount="Bedrag", due="Vervaldatum", tip="Fooi",
             vat_id="BTW-nr. NL", to="Aan", taxi="Rit", fuel="Euro 95",
             odd_tax="BTW hoog {r}%", per="x"),
        [("Koffie", 2, 4), ("Appeltaart", 3, 5), ("Broodje kaas", 3, 6), ("Tosti", 4, 6),
         ("Verse jus", 3, 5), ("Bitterballen", 6, 8), ("Stroopwafels", 2, 4), ("Schrift A5", 1, 3)],
        symbol="€", symbol_after=False,
    ),
    "sv-SE": Locale(
        "sv-SE", "sv", "SEK", 2, ",", " ",
        [lambda d: d.isoformat(), lambda d: f"{d.day} {month('sv', d)} {d.year}",
         lambda d: f"{d.year % 100:02d}-{d.month:02d}-{d.day:02d}"],
        ["25", "12", "6"],
        dict(total="ATT BETALA", total2="Totalt", subtotal="Delsumma", net="Netto",
             tax="Moms", gross="Brutto", incl="inkl. moms {r}%", included="varav moms {r}%",
             cash="Kontant", change="Växel", card="Kort", thanks="Tack för besöket!",
             invoice="Faktura", inv_no="Fakturanr", date="Datum", inv_date="Fakturadatum",
             qty="Antal", desc="Benämning", amount="Belopp", due="Förfallodatum", tip="Dricks",
             vat_id="Org.nr", to="Kund", taxi="Taxiresa", fuel="Bensin 95",
             odd_tax="varav moms {r}%", per="à"),
        [("Kaffe", 25, 45), ("Kanelbulle", 25, 40), ("Smörgås", 55, 85), ("Dagens lunch", 115, 145),
         ("Lättöl", 35, 55), ("Kollegieblock", 29, 49), ("Pennor 10-pack", 39, 69), ("Mineralvatten", 19, 29)],
        symbol="kr", symbol_after=True,
    ),
    "da-DK": Locale(
        "da-DK", "da", "DKK", 2, ",", ".",
        [d_dot, lambda d: f"{d.day}. {month('da', d)} {d.year}", lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}"],
        ["25"],
        dict(total="I ALT", total2="At betale", subtotal="Subtotal", net="Netto",
             tax="Moms", gross="Brutto", incl="inkl. {r}% moms", included="heraf moms {r}%",
             cash="Kontant", change="Byttepenge", card="Dankort", thanks="Tak for besøget",
             invoice="Faktura", inv_no="Fakturanr.", date="Dato", inv_date="Fakturadato",
             qty="Antal", desc="Beskrivelse", amount="Beløb", due="Forfaldsdato", tip="Drikkepenge",
             vat_id="CVR-nr.", to="Kunde", taxi="Taxatur", fuel="Blyfri 95",
             odd_tax="heraf moms {r}%", per="à"),
        [("Kaffe latte", 38, 52), ("Rugbrød med laks", 65, 95), ("Wienerbrød", 22, 32),
         ("Sodavand", 25, 35), ("Frokostplatte", 145, 195), ("Notesbog", 35, 59)],
        symbol="kr.", symbol_after=True,
    ),
    "ja-JP": Locale(
        "ja-JP", "ja", "JPY", 0, ".", ",",
        [lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}"],
        ["10", "8"],
        dict(total="合計", total2="お支払金額", subtotal="小計", net="税抜金額",
             tax="消費税", gross="税込", incl="(内消費税等 {r}%)", included="(内税 {r}%)",
             cash="お預り", change="お釣り", card="クレジット", thanks="ありがとうございました",
             invoice="請求書", inv_no="請求番号", date="日付", inv_date="発行日",
             qty="数量", desc="品名", amount="金額", due="お支払期限", tip="サービス料",
             vat_id="登録番号 T", to="御中", taxi="運賃", fuel="レギュラー",
             odd_tax="内消費税等 {r}%", per="x"),
        [("おにぎり", 150, 220), ("緑茶", 120, 180), ("弁当", 480, 780), ("コーヒー", 150, 450),
         ("ボールペン", 110, 330), ("ノート", 150, 300), ("サンドイッチ", 280, 420), ("ラーメン", 850, 1200)],
        symbol="¥", symbol_after=False, fonts=["jp"],
    ),
    "en-US": Locale(
        "en-US", "en", "USD", 2, ".", ",",
        [lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}", lambda d: f"{month('en', d, True)} {d.day}, {d.year}",
         lambda d: f"{month('en', d)} {d.day}, {d.year}", lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}"],
        ["8.875", "6.25", "7.5"],
        dict(total="TOTAL", total2="Amount Due", subtotal="Subtotal", net="Subtotal",
             tax="Sales Tax", gross="Total", incl="Tax included", included="Sales tax incl.",
             cash="Cash", change="Change", card="VISA", thanks="Thank you! Come again",
             invoice="Invoice", inv_no="Invoice #", date="Date", inv_date="Invoice Date",
             qty="Qty", desc="Description", amount="Amount", due="Due Date", tip="Tip",
             vat_id="EIN", to="Bill To", taxi="Fare", fuel="Unleaded",
             odd_tax="State tax {r}%", per="@"),
        [("Cheeseburger", 9, 15), ("Iced tea", 2, 4), ("Caesar salad", 8, 13), ("Fries", 3, 6),
         ("Printer ink", 19, 39), ("Legal pads 6pk", 8, 14), ("Coffee", 2, 5), ("Bagel", 2, 4),
         ("Club sandwich", 11, 16)],
        symbol="$",
    ),
    "en-GB": Locale(
        "en-GB", "en", "GBP", 2, ".", ",",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day} {month('en', d, True)} {d.year}",
         lambda d: f"{d.day:02d}-{month('en', d, True)}-{d.year}"],
        ["20", "5"],
        dict(total="TOTAL", total2="Balance due", subtotal="Subtotal", net="Net",
             tax="VAT", gross="Gross", incl="Prices include VAT at {r}%", included="incl. VAT {r}%",
             cash="Cash", change="Change", card="Contactless", thanks="Thank you for your custom",
             invoice="Invoice", inv_no="Invoice No.", date="Date", inv_date="Invoice date",
             qty="Qty", desc="Description", amount="Amount", due="Payment due", tip="Service charge 12.5%",
             vat_id="VAT Reg No. GB", to="Invoice to", taxi="Fare", fuel="Unleaded",
             odd_tax="VAT @ {r}.00%", per="@"),
        [("Flat white", 3, 4), ("Bacon roll", 4, 6), ("Fish & chips", 14, 19), ("Pint of bitter", 5, 7),
         ("Sticky toffee pudding", 6, 8), ("A4 envelopes", 3, 7), ("Sparkling water", 2, 4),
         ("Sunday roast", 17, 24)],
        symbol="£",
    ),
    "en-CA": Locale(
        "en-CA", "en", "CAD", 2, ".", ",",
        [lambda d: d.isoformat(), lambda d: f"{month('en', d, True)} {d.day}, {d.year}",
         lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"],
        ["13", "5"],
        dict(total="TOTAL", total2="Amount paid", subtotal="Subtotal", net="Subtotal",
             tax="HST", gross="Total", incl="HST included", included="HST incl. {r}%",
             cash="Cash", change="Change", card="Interac", thanks="Thanks, eh!",
             invoice="Invoice", inv_no="Invoice No.", date="Date", inv_date="Invoice date",
             qty="Qty", desc="Description", amount="Amount", due="Due", tip="Tip",
             vat_id="GST/HST No.", to="Bill to", taxi="Fare", fuel="Regular 87",
             odd_tax="HST {r}% (incl.)", per="@"),
        [("Double-double", 2, 3), ("Poutine", 8, 12), ("Maple latte", 5, 7), ("Timbits 10pc", 3, 4),
         ("Toner cartridge", 59, 89), ("Sticky notes", 5, 9), ("Butter tart", 3, 5)],
        symbol="$",
    ),
    "en-AU": Locale(
        "en-AU", "en", "AUD", 2, ".", ",",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day} {month('en', d, True)} {d.year}"],
        ["10"],
        dict(total="TOTAL", total2="Total AUD", subtotal="Subtotal", net="Total ex GST",
             tax="GST", gross="Total inc GST", incl="Total includes GST {r}%",
             included="GST included {r}%", cash="Cash", change="Change", card="EFTPOS",
             thanks="Cheers, see you soon", invoice="Tax Invoice", inv_no="Invoice No.",
             date="Date", inv_date="Invoice date", qty="Qty", desc="Description", amount="Amount",
             due="Due date", tip="Surcharge", vat_id="ABN", to="Bill to", taxi="Fare",
             fuel="Unleaded 91", odd_tax="GST {r}% incl", per="@"),
        [("Flat white", 4, 6), ("Smashed avo", 16, 22), ("Meat pie", 6, 9), ("Lamington", 4, 6),
         ("Sausage roll", 5, 7), ("Printer paper", 8, 14), ("Iced coffee", 5, 8)],
        symbol="$",
    ),
}
