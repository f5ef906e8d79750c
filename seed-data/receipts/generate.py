#!/usr/bin/env python3
"""Generate Formwork's sample receipt corpus (Expense Claims seed data).

Writes into this script's folder (or --out DIR):

* 17 synthetic receipts: JPEG "photos" (some stored rotated with an EXIF
  orientation tag, some noisy), PNGs, a WebP, text-layer PDFs (one with two
  pages) and one scanned, image-only PDF. Currencies EUR, USD, GBP, CHF, JPY
  and CAD; English, German, French and Spanish; many date styles.
* manifest.json: the true supplier, expense_date (ISO), net, tax, total and
  currency of every receipt, used by the Rust tests to measure the
  suggester's accuracy.
* hostile/: files that must be refused safely (see HOSTILE below). The
  21 MB over-size file is NOT written here; tests create it at run time.

Everything is fictional. The output is deterministic for a given
requirements.txt (fixed random seeds), and every file stays well under
300 KB.

Usage (Python 3.11):

    python3 -m venv .venv
    .venv/bin/pip install -r seed-data/receipts/requirements.txt
    .venv/bin/python seed-data/receipts/generate.py

Fonts: DejaVu Sans / Sans Mono (Debian: ``apt-get install fonts-dejavu-core``)
are used when present, for the €, £ and ¥ signs; otherwise Pillow's built-in
font is used for images and the PDFs fall back to Helvetica (with currency
signs spelled as codes).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


def font_path(name: str) -> Path | None:
    for d in FONT_DIRS:
        if (d / name).is_file():
            return d / name
    return None


SANS = font_path("DejaVuSans.ttf")
SANS_BOLD = font_path("DejaVuSans-Bold.ttf")
MONO = font_path("DejaVuSansMono.ttf")
MONO_BOLD = font_path("DejaVuSansMono-Bold.ttf")


def image_font(path: Path | None, size: int) -> ImageFont.ImageFont:
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


# ---------------------------------------------------------------- receipts
# A receipt is a list of layout rows:
#   ("c", text)          centred          ("l", text)   left
#   ("lr", left, right)  left + right     ("b", text)   bold centred
#   ("rule",)            dashed line      ("gap",)      blank line


@dataclass
class Receipt:
    file: str
    form: str  # photo | png | webp | pdf | scan
    supplier: str
    expense_date: str
    net: str
    tax: str
    total: str
    currency: str
    language: str
    rows: list
    pages: list = field(default_factory=list)  # PDFs: list of row lists
    orientation: int = 1  # EXIF orientation stored in photos
    noise: float = 0.0
    note: str = ""
    # The one tax rate printed for the tax, in percent; "" when none or several are printed.
    tax_rate: str = ""


RECEIPTS: list[Receipt] = [
    Receipt(
        "01_cafe_berlin.jpg", "photo", "Café Sonnenschein GmbH", "2024-03-05",
        "20.00", "3.80", "23.80", "EUR", "de",
        [
            ("b", "Café Sonnenschein GmbH"), ("c", "Kastanienallee 12"), ("c", "10435 Berlin"),
            ("c", "Tel. 030 4405 1234"), ("rule",),
            ("lr", "Datum: 05.03.2024", "Zeit: 09:41"), ("rule",),
            ("lr", "2x Cappuccino à 3,90", "7,80"), ("lr", "1x Käsekuchen", "4,50"),
            ("lr", "2x Croissant à 2,75", "5,50"), ("lr", "1x Orangensaft", "6,00"),
            ("rule",), ("lr", "Summe EUR", "23,80"), ("lr", "Bar", "30,00"),
            ("lr", "Rückgeld", "6,20"), ("gap",),
            ("l", "MwSt%    Netto    MwSt   Brutto"), ("l", "19%     20,00    3,80    23,80"),
            ("gap",), ("c", "USt-IdNr. DE123456789"), ("c", "Vielen Dank für Ihren Besuch!"),
        ],
        orientation=6, noise=7.0, note="EXIF orientation 6 (stored rotated 90°), VAT table",
        tax_rate="19",
    ),
    Receipt(
        "02_hardware_springfield.png", "png", "Maple Street Hardware", "2024-03-14",
        "45.96", "4.14", "50.10", "USD", "en",
        [
            ("b", "Maple Street Hardware"), ("c", "412 Maple Street"), ("c", "Springfield, IL 62704"),
            ("c", "(217) 555-0199"), ("rule",), ("l", "03/14/2024  10:22 AM   Reg 2"), ("rule",),
            ("lr", "Wood screws 100pk", "8.99"), ("lr", "Claw hammer 16oz", "19.99"),
            ("lr", "Paint brush set", "12.99"), ("lr", "Sandpaper assortment", "3.99"),
            ("rule",), ("lr", "SUBTOTAL", "45.96"), ("lr", "SALES TAX 9.0%", "4.14"),
            ("lr", "TOTAL", "50.10"), ("lr", "VISA **** 4821", "50.10"), ("gap",),
            ("c", "THANK YOU FOR SHOPPING LOCAL"),
        ],
        tax_rate="9",
    ),
    Receipt(
        "03_taxi_london.jpg", "photo", "Thames Cabs Ltd", "2024-02-12",
        "18.00", "3.60", "21.60", "GBP", "en",
        [
            ("b", "Thames Cabs Ltd"), ("c", "Licensed Hackney Carriage"), ("c", "RECEIPT"),
            ("rule",), ("l", "Date: 12 Feb 2024   Time: 18:05"), ("l", "Pick-up: Paddington"),
            ("l", "Drop-off: Canary Wharf"), ("rule",), ("lr", "Fare", "£18.00"),
            ("lr", "VAT (20%)", "£3.60"), ("lr", "Total", "£21.60"), ("rule",),
            ("c", "VAT Reg No. GB 123 4567 89"),
        ],
        orientation=8, noise=5.0, note="EXIF orientation 8",
        tax_rate="20",
    ),
    Receipt(
        "04_hotel_paris.pdf", "pdf", "Hôtel du Marais SARL", "2024-03-15",
        "372.00", "37.20", "409.20", "EUR", "fr", [],
        pages=[
            [
                ("b", "Hôtel du Marais SARL"), ("c", "18 rue des Archives, 75004 Paris"),
                ("c", "SIRET 123 456 789 00012 - N° TVA FR12345678901"), ("gap",),
                ("l", "FACTURE N° 2024-0315"), ("l", "Date : 15 mars 2024"),
                ("l", "Client : M. John Smith"), ("l", "Arrivée : 12/03/2024   Départ : 15/03/2024"),
                ("rule",), ("lr", "Chambre double - nuit du 12/03", "100,00 €"),
                ("lr", "Chambre double - nuit du 13/03", "100,00 €"),
                ("lr", "Chambre double - nuit du 14/03", "100,00 €"),
                ("lr", "Petit-déjeuner x 6", "72,00 €"), ("gap",), ("r", "Page 1/2"),
            ],
            [
                ("b", "Hôtel du Marais SARL"), ("l", "FACTURE N° 2024-0315 (suite)"), ("rule",),
                ("lr", "Total HT", "372,00 €"), ("lr", "TVA 10 %", "37,20 €"),
                ("lr", "Total TTC", "409,20 €"), ("lr", "Net à payer", "409,20 €"), ("gap",),
                ("l", "Réglé par carte bancaire le 15/03/2024."), ("gap",), ("r", "Page 2/2"),
            ],
        ],
        note="two pages; totals on page 2",
        tax_rate="10",
    ),
    Receipt(
        "05_restaurant_zurich.webp", "webp", "Restaurant Zum Löwen AG", "2024-04-22",
        "80.02", "6.48", "86.50", "CHF", "de",
        [
            ("b", "Restaurant Zum Löwen AG"), ("c", "Löwenstrasse 7"), ("c", "8001 Zürich"),
            ("c", "MWST-Nr. CHE-123.456.789 MWST"), ("rule",), ("l", "Datum: 22.04.2024 20:15"),
            ("l", "Tisch 4 / Bedienung: Lea"), ("rule",), ("lr", "2 Zürcher Geschnetzeltes", "64.00"),
            ("lr", "1 Flasche Mineral", "8.50"), ("lr", "2 Espresso", "9.00"),
            ("lr", "1 Meringue", "5.00"), ("rule",), ("lr", "Total CHF", "86.50"),
            ("lr", "MWST 8.1%   80.02", "6.48"), ("lr", "Bezahlt Karte CHF", "86.50"),
        ],
        tax_rate="8.1",
    ),
    Receipt(
        "06_store_tokyo.png", "png", "Sakura Mart", "2024-05-10",
        "1800", "180", "1980", "JPY", "en",
        [
            ("b", "Sakura Mart"), ("c", "Shinjuku 3-14-1, Tokyo"), ("c", "TEL 03-5555-0123"),
            ("rule",), ("l", "2024/05/10 14:32"), ("rule",), ("lr", "Onigiri x2", "¥320"),
            ("lr", "Green tea", "¥160"), ("lr", "Bento box", "¥980"), ("lr", "Umbrella", "¥340"),
            ("rule",), ("lr", "Subtotal", "¥1,800"), ("lr", "Tax (10%)", "¥180"),
            ("lr", "Total", "¥1,980"), ("lr", "Cash", "¥2,000"), ("lr", "Change", "¥20"),
        ],
        tax_rate="10",
    ),
    Receipt(
        "07_office_vancouver.jpg", "photo", "Northern Office Supply Inc.", "2024-06-03",
        "120.00", "14.40", "134.40", "CAD", "en",
        [
            ("b", "Northern Office Supply Inc."), ("c", "250 Granville St"),
            ("c", "Vancouver, BC V6B 1A1"), ("c", "GST # 12345 6789 RT0001"), ("rule",),
            ("l", "Date: 2024-06-03  11:15"), ("rule",), ("lr", "Printer paper 5 ream", "42.50"),
            ("lr", "Toner cartridge", "65.00"), ("lr", "Binder clips", "12.50"), ("rule",),
            ("lr", "Subtotal", "$120.00"), ("lr", "GST 5%", "$6.00"), ("lr", "PST 7%", "$8.40"),
            ("lr", "Total", "$134.40 CAD"), ("lr", "Mastercard", "$134.40"),
        ],
        noise=9.0, note="noisy, GST + PST",
    ),
    Receipt(
        "08_software_invoice.pdf", "pdf", "Cloudbright Software LLC", "2024-03-05",
        "199.00", "13.93", "212.93", "USD", "en", [],
        pages=[[
            ("b", "Cloudbright Software LLC"), ("l", "PO Box 4410, Austin, TX 78701"),
            ("l", "billing@cloudbright.example"), ("gap",), ("b", "INVOICE"),
            ("l", "Invoice #: CB-2024-0305"), ("l", "Invoice date: March 5, 2024"),
            ("l", "Due date: April 4, 2024"), ("gap",), ("l", "Bill to:"),
            ("l", "Formwork Demo Ltd"), ("l", "1 Example Road, Leeds LS1 4AP"), ("rule",),
            ("lr", "Team plan (10 seats) - March 2024", "$199.00"), ("rule",),
            ("lr", "Subtotal", "$199.00"), ("lr", "Sales tax (7%)", "$13.93"),
            ("lr", "Amount due", "$212.93"),
        ]],
        tax_rate="7",
    ),
    Receipt(
        "09_hotel_munich.pdf", "pdf", "Hotel Alpenblick GmbH", "2024-03-05",
        "1173.00", "96.87", "1269.87", "EUR", "de", [],
        pages=[[
            ("b", "Hotel Alpenblick GmbH"), ("l", "Sonnenstraße 21, 80331 München"),
            ("l", "USt-IdNr. DE987654321"), ("gap",), ("l", "Rechnung Nr. 2024-1187"),
            ("l", "Rechnungsdatum: 5. März 2024"), ("l", "Anreise: 02.03.2024  Abreise: 05.03.2024"),
            ("rule",), ("lr", "Übernachtung 3 x 350,00 €", "1.050,00 €"),
            ("lr", "Frühstück 3 x 26,00 €", "78,00 €"), ("lr", "Parkplatz 3 x 15,00 €", "45,00 €"),
            ("rule",), ("lr", "Nettobetrag", "1.173,00 €"),
            ("lr", "MwSt 7% auf 1.050,00 €", "73,50 €"), ("lr", "MwSt 19% auf 123,00 €", "23,37 €"),
            ("lr", "Gesamtbetrag", "1.269,87 €"), ("gap",),
            ("l", "Zahlbar sofort ohne Abzug."),
        ]],
        note="two VAT rates, thousands separators",
    ),
    Receipt(
        "10_taxi_lyon_scan.pdf", "scan", "Allo Taxi Lyon", "2024-02-08",
        "29.09", "2.91", "32.00", "EUR", "fr",
        [
            ("b", "Allo Taxi Lyon"), ("c", "Reçu de course"), ("rule",), ("l", "Date : 08/02/2024"),
            ("l", "Départ : Gare Part-Dieu"), ("l", "Arrivée : Aéroport"), ("rule",),
            ("lr", "Montant HT", "29,09 €"), ("lr", "TVA 10 %", "2,91 €"),
            ("lr", "Montant TTC", "32,00 €"), ("rule",), ("c", "Merci et bon voyage"),
        ],
        noise=6.0, note="scanned: image-only PDF",
        tax_rate="10",
    ),
    Receipt(
        "11_stationers_london.png", "png", "Quill & Ink Stationers Ltd", "2024-04-01",
        "15.00", "3.00", "18.00", "GBP", "en",
        [
            ("b", "Quill & Ink Stationers Ltd"), ("c", "27 Chancery Lane"), ("c", "London WC2A 1LS"),
            ("rule",), ("l", "Date: 01/04/2024"), ("rule",), ("lr", "A5 notebooks x3", "9.00"),
            ("lr", "Fountain pen", "6.00"), ("rule",), ("lr", "Net", "£15.00"),
            ("lr", "VAT 20%", "£3.00"), ("lr", "Total", "£18.00"), ("lr", "Paid by card", "£18.00"),
        ],
        tax_rate="20",
    ),
    Receipt(
        "12_diner_austin.jpg", "photo", "Blue Plate Diner", "2024-04-05",
        "32.50", "2.68", "35.18", "USD", "en",
        [
            ("b", "*** Blue Plate Diner ***"), ("c", "1200 Main Street"), ("c", "Austin, TX 78701"),
            ("rule",), ("l", "Server: Maria    Table 7"), ("l", "04/05/2024  7:42 PM"), ("rule",),
            ("lr", "2 Pancake stack", "17.00"), ("lr", "1 Bacon side", "4.50"),
            ("lr", "2 Coffee", "6.00"), ("lr", "1 OJ large", "5.00"), ("rule",),
            ("lr", "Subtotal", "32.50"), ("lr", "Tax 8.25%", "2.68"), ("lr", "Total", "35.18"),
            ("lr", "Visa", "35.18"), ("gap",), ("c", "Thank you! Come again"),
        ],
        orientation=3, noise=4.0, note="EXIF orientation 3 (upside down)",
        tax_rate="8.25",
    ),
    Receipt(
        "13_electronics_berlin.jpg", "photo", "Elektro Schmidt GmbH", "2024-07-12",
        "1091.60", "207.40", "1299.00", "EUR", "de",
        [
            ("b", "Elektro Schmidt GmbH"), ("c", "Friedrichstraße 88"), ("c", "10117 Berlin"),
            ("c", "Kassenbon"), ("rule",), ("l", "Datum 12.07.2024  16:05"), ("rule",),
            ("lr", "Notebook ProBook 14", "1.299,00"), ("rule",), ("lr", "Gesamt EUR", "1.299,00"),
            ("lr", "EC-Karte", "1.299,00"), ("lr", "enthaltene MwSt 19%", "207,40"),
        ],
        orientation=8, noise=8.0, note="EXIF orientation 8, noisy",
        tax_rate="19",
    ),
    Receipt(
        "14_boulangerie_paris.png", "png", "Boulangerie Martin", "2024-06-03",
        "11.75", "0.65", "12.40", "EUR", "fr",
        [
            ("b", "Boulangerie Martin"), ("c", "42 rue Oberkampf"), ("c", "75011 Paris"),
            ("rule",), ("l", "Ticket n° 0452   03/06/2024 08:12"), ("rule",),
            ("lr", "2 Baguette tradition", "2,60"), ("lr", "4 Croissant", "5,20"),
            ("lr", "1 Tarte aux pommes", "4,60"), ("rule",), ("lr", "Total TTC", "12,40 €"),
            ("lr", "dont TVA 5,5 %", "0,65 €"), ("lr", "Total HT", "11,75 €"),
        ],
        tax_rate="5.5",
    ),
    Receipt(
        "15_consulting_toronto.pdf", "pdf", "Lakeshore Consulting Ltd.", "2024-08-19",
        "1500.00", "195.00", "1695.00", "CAD", "en", [],
        pages=[[
            ("b", "Lakeshore Consulting Ltd."), ("l", "100 Queens Quay E, Toronto, ON M5E 1V3"),
            ("l", "HST No. 81234 5678 RT0001"), ("gap",), ("b", "INVOICE"),
            ("l", "Invoice date: 2024-08-19"), ("l", "Invoice no: LC-0819"), ("rule",),
            ("lr", "Consulting services - August 2024", "1,500.00"), ("rule",),
            ("lr", "Subtotal", "1,500.00"), ("lr", "HST (13%)", "195.00"),
            ("lr", "Total Due (CAD)", "1,695.00"),
        ]],
        tax_rate="13",
    ),
    Receipt(
        "16_hotel_kyoto.pdf", "pdf", "Hotel Kyoto Garden", "2024-09-12",
        "24000", "2400", "26400", "JPY", "en", [],
        pages=[[
            ("b", "Hotel Kyoto Garden"), ("l", "Nakagyo-ku, Kyoto 604-8005"), ("gap",),
            ("l", "Date: 2024-09-12"), ("l", "Guest: J. Smith   Room 712"), ("rule",),
            ("lr", "Room charge (2 nights)", "¥24,000"), ("lr", "Consumption tax (10%)", "¥2,400"),
            ("lr", "Total", "¥26,400"),
        ]],
        tax_rate="10",
    ),
    Receipt(
        "17_restaurante_madrid.jpg", "photo", "Restaurante La Plaza S.L.", "2024-09-14",
        "40.91", "4.09", "45.00", "EUR", "es",
        [
            ("b", "Restaurante La Plaza S.L."), ("c", "Calle Mayor 10"), ("c", "28013 Madrid"),
            ("c", "CIF B12345678"), ("rule",), ("l", "Fecha: 14/09/2024  21:30"), ("rule",),
            ("lr", "2 Menu del dia", "30,00"), ("lr", "1 Vino tinto", "15,00"), ("rule",),
            ("lr", "Base imponible", "40,91"), ("lr", "IVA 10%", "4,09"),
            ("lr", "Importe total", "45,00 €"),
        ],
        noise=3.0,
        tax_rate="10",
    ),
]

# ----------------------------------------------------------- image receipts

WIDTH = 640
MARGIN = 36


def render_receipt(rows: list, size: int = 24, mono: bool = True) -> Image.Image:
    """Draws rows on white paper; returns a grayscale image."""
    regular = image_font(MONO if mono else SANS, size)
    bold = image_font(MONO_BOLD if mono else SANS_BOLD, int(size * 1.15))
    line_h = int(size * 1.45)
    height = MARGIN * 2 + line_h * (len(rows) + 1)
    img = Image.new("L", (WIDTH, height), 255)
    d = ImageDraw.Draw(img)
    y = MARGIN
    for row in rows:
        kind = row[0]
        if kind in ("c", "b"):
            f = bold if kind == "b" else regular
            w = d.textlength(row[1], font=f)
            d.text(((WIDTH - w) / 2, y), row[1], font=f, fill=20)
        elif kind == "l":
            d.text((MARGIN, y), row[1], font=regular, fill=20)
        elif kind == "r":
            w = d.textlength(row[1], font=regular)
            d.text((WIDTH - MARGIN - w, y), row[1], font=regular, fill=20)
        elif kind == "lr":
            d.text((MARGIN, y), row[1], font=regular, fill=20)
            w = d.textlength(row[2], font=regular)
            d.text((WIDTH - MARGIN - w, y), row[2], font=regular, fill=20)
        elif kind == "rule":
            for x in range(MARGIN, WIDTH - MARGIN, 12):
                d.line([(x, y + line_h // 2), (x + 6, y + line_h // 2)], fill=90, width=2)
        y += line_h
    return img


def add_noise(img: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    """Adds uniform noise of about +/- 1.7 sigma, drawn from the seeded rng
    (Pillow's own noise generator cannot be seeded)."""
    if sigma <= 0:
        return img
    amp = sigma * 1.7
    raw = Image.frombytes("L", img.size, rng.randbytes(img.width * img.height))
    noise = raw.point(lambda v: 128 + round((v - 128) / 128 * amp))
    return ImageChops.add(img, noise, scale=1.0, offset=-128)


def as_photo(paper: Image.Image, r: Receipt, rng: random.Random) -> Image.Image:
    """Puts the paper on a table, tilts it a little, adds noise and blur."""
    bg = Image.new("RGB", (paper.width + 120, paper.height + 120), (118, 104, 92))
    tilt = rng.uniform(-1.5, 1.5)
    rotated = paper.convert("RGB").rotate(tilt, expand=True, fillcolor=(118, 104, 92),
                                          resample=Image.Resampling.BICUBIC)
    bg.paste(rotated, (60 - (rotated.width - paper.width) // 2, 60 - (rotated.height - paper.height) // 2))
    photo = bg.filter(ImageFilter.GaussianBlur(0.6))
    if r.noise:
        channels = [add_noise(c, r.noise, rng) for c in photo.split()]
        photo = Image.merge("RGB", channels)
    return photo


# EXIF orientation → transpose that turns the upright picture into the stored one.
STORE_TRANSPOSE = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,   # shown after rotating 90° clockwise
    8: Image.Transpose.ROTATE_270,  # shown after rotating 90° counter-clockwise
}


def save_image(r: Receipt, out: Path, rng: random.Random) -> None:
    paper = render_receipt(r.rows)
    if r.form == "photo":
        upright = as_photo(paper, r, rng)
        stored = upright.transpose(STORE_TRANSPOSE[r.orientation]) if r.orientation != 1 else upright
        exif = Image.Exif()
        if r.orientation != 1:
            exif[0x0112] = r.orientation
        stored.save(out, "JPEG", quality=78, exif=exif.tobytes())
        # Self-check: applying the tag gives the upright picture back.
        from PIL import ImageOps
        check = ImageOps.exif_transpose(Image.open(out))
        assert check.size == upright.size, (r.file, check.size, upright.size)
    elif r.form == "png":
        paper.save(out, "PNG", optimize=True)
    elif r.form == "webp":
        paper.convert("RGB").save(out, "WEBP", quality=80, method=6)
    else:
        raise ValueError(r.form)


# ------------------------------------------------------------- PDF receipts

class ReceiptPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(False)
        self.set_margins(20, 20, 20)
        if SANS is not None and SANS_BOLD is not None:
            self.add_font("Body", "", str(SANS))
            self.add_font("Body", "B", str(SANS_BOLD))
            self.family_name = "Body"
        else:
            self.family_name = "Helvetica"


def latin(text: str, unicode_font: bool) -> str:
    if unicode_font:
        return text
    return text.replace("€", "EUR").replace("¥", "JPY ").replace("£", "GBP ")


def write_rows(pdf: ReceiptPDF, rows: list) -> None:
    uni = pdf.family_name == "Body"
    width = pdf.w - 40
    for row in rows:
        kind = row[0]
        if kind == "b":
            pdf.set_font(pdf.family_name, "B", 15)
            pdf.cell(width, 9, latin(row[1], uni), new_x="LMARGIN", new_y="NEXT")
        elif kind in ("c", "l", "r"):
            pdf.set_font(pdf.family_name, "", 10)
            align = {"c": "L", "l": "L", "r": "R"}[kind]
            pdf.cell(width, 6, latin(row[1], uni), align=align, new_x="LMARGIN", new_y="NEXT")
        elif kind == "lr":
            pdf.set_font(pdf.family_name, "", 10)
            pdf.cell(width * 0.7, 6, latin(row[1], uni))
            pdf.cell(width * 0.3, 6, latin(row[2], uni), align="R", new_x="LMARGIN", new_y="NEXT")
        elif kind == "rule":
            y = pdf.get_y() + 2
            pdf.line(20, y, pdf.w - 20, y)
            pdf.ln(4)
        elif kind == "gap":
            pdf.ln(5)


def save_pdf(r: Receipt, out: Path) -> None:
    pdf = ReceiptPDF()
    pdf.set_creation_date(__import__("datetime").datetime(2024, 1, 1))
    for rows in r.pages:
        pdf.add_page()
        write_rows(pdf, rows)
    pdf.output(str(out))


def save_scan(r: Receipt, out: Path, rng: random.Random) -> None:
    """An image-only PDF, as a scanner app would make it."""
    paper = render_receipt(r.rows, size=26)
    paper = paper.rotate(rng.uniform(-1.0, 1.0), expand=True, fillcolor=250,
                         resample=Image.Resampling.BICUBIC)
    paper = add_noise(paper.filter(ImageFilter.GaussianBlur(0.5)), r.noise, rng)
    buf = io.BytesIO()
    paper.save(buf, "JPEG", quality=70)
    buf.seek(0)
    pdf = FPDF(format=(paper.width * 0.3, paper.height * 0.3), unit="mm")
    pdf.set_creation_date(__import__("datetime").datetime(2024, 1, 1))
    pdf.add_page()
    pdf.image(buf, x=0, y=0, w=paper.width * 0.3, h=paper.height * 0.3)
    pdf.output(str(out))


# ------------------------------------------------------------------ hostile

def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def hostile_files(dir_: Path, rng: random.Random) -> dict[str, str]:
    dir_.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}

    # 1. A JPEG cut off after 60 % of its bytes.
    buf = io.BytesIO()
    render_receipt(RECEIPTS[11].rows).convert("RGB").save(buf, "JPEG", quality=80)
    data = buf.getvalue()
    (dir_ / "truncated.jpg").write_bytes(data[: len(data) * 6 // 10])
    files["truncated.jpg"] = "a real JPEG cut off after 60% of its bytes"

    # 2. PNG "bomb": a tiny file whose header declares 100000 x 100000 pixels.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024, 9)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    (dir_ / "png_bomb.png").write_bytes(png)
    files["png_bomb.png"] = "valid PNG header declaring 100000x100000 RGB (30 GB decoded)"

    # 3. A PDF whose /Pages node lists itself among its /Kids.
    (dir_ / "loop_kids.pdf").write_bytes(raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]))
    files["loop_kids.pdf"] = "/Pages whose /Kids points back to itself"

    # 4. A PDF nested so deeply that a recursive parser overflows its stack.
    deep = b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * 100_000 + b" >>"
    (dir_ / "deep_nesting.pdf").write_bytes(raw_pdf([
        deep,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]))
    files["deep_nesting.pdf"] = "100000 nested arrays (stack overflow in recursive parsers)"

    # 5. A Windows executable renamed .jpg.
    exe = bytearray(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
    exe += bytes(44) + struct.pack("<I", 0x80)
    exe += b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    exe += bytes(0x80 - len(exe)) + b"PE\x00\x00" + bytes(rng.getrandbits(8) for _ in range(1024))
    (dir_ / "invoice.exe.jpg").write_bytes(bytes(exe))
    files["invoice.exe.jpg"] = "MZ/PE executable with a .jpg name"

    # 6. Random bytes (first byte chosen so no known signature matches).
    rnd = bytes([0x42]) + bytes(rng.getrandbits(8) for _ in range(4095))
    (dir_ / "random.bin").write_bytes(rnd)
    files["random.bin"] = "4 KiB of random bytes"

    # 7. A PDF header followed by garbage.
    (dir_ / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(rng.getrandbits(8) for _ in range(2048)))
    files["garbage.pdf"] = "%PDF- header followed by random bytes"
    return files


def raw_pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# --------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    manifest = []
    for i, r in enumerate(RECEIPTS):
        rng = random.Random(1000 + i)
        path = out / r.file
        if r.form == "pdf":
            save_pdf(r, path)
        elif r.form == "scan":
            save_scan(r, path, rng)
        else:
            save_image(r, path, rng)
        size = path.stat().st_size
        assert size < 300_000, f"{r.file} is {size} bytes"
        manifest.append({
            "file": r.file,
            "kind": {"photo": "jpeg", "png": "png", "webp": "webp", "pdf": "pdf", "scan": "pdf"}[r.form],
            "scanned": r.form == "scan",
            "orientation": r.orientation if r.form == "photo" else None,
            "language": r.language,
            "supplier": r.supplier,
            "expense_date": r.expense_date,
            "net": r.net,
            "tax": r.tax,
            "total": r.total,
            "currency": r.currency,
            "tax_rate": r.tax_rate,
            "note": r.note,
        })
        print(f"{r.file:32} {size:>7} bytes")

    hostile = hostile_files(out / "hostile", random.Random(7))
    (out / "manifest.json").write_text(json.dumps({
        "generator": "generate.py",
        "receipts": manifest,
        "hostile": [{"file": f"hostile/{k}", "what": v} for k, v in hostile.items()],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"manifest.json: {len(manifest)} receipts, {len(hostile)} hostile files")


if __name__ == "__main__":
    main()
