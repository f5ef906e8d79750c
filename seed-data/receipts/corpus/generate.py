#!/usr/bin/env python3
"""Generate Formwork's held-apart receipt corpus (seed-data/receipts/corpus/).

193 fictional receipts made to look like real uploads: phone photos of paper on a table
(perspective, shadow, blur, crumpled or faded thermal paper, skew, rotated by 90/180/270
degrees with no EXIF tag), scanned image-only PDFs and text-layer e-invoice PDFs, in 9
currencies and 9 languages. manifest.json holds the truth of every field and the part each
receipt belongs to (tuning, held_apart or calibration). The first 64 are the first batch
(tuning or held_apart); the 73 after them, the second batch, are only tuning or calibration; the
26 after those, the third batch, are tuning, and so are the 30 of the fourth batch.
See README.md.

Deterministic for the pinned ../requirements.txt and the fonts named in README.md.

    .venv/bin/python seed-data/receipts/corpus/generate.py
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import random
import sys
import unicodedata
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from content import Spec, build  # noqa: E402
from locales import LOCALES  # noqa: E402

# The seed corpus's generator (../generate.py), for its seeded noise.
_seed = importlib.util.spec_from_file_location("seed_generate", HERE.parent / "generate.py")
seed_generate = importlib.util.module_from_spec(_seed)
sys.modules["seed_generate"] = seed_generate
_seed.loader.exec_module(seed_generate)
add_noise = seed_generate.add_noise

# The seed of the split; fixed before any measurement and never to be changed to please a figure.
SPLIT_SEED = 16
# The seed of the second batch's split (tuning or calibration), fixed before any measurement.
SECOND_SPLIT_SEED = 17
MAX_BYTES = 150_000

FONTS = {
    "mono": ("truetype/dejavu/DejaVuSansMono.ttf", "truetype/dejavu/DejaVuSansMono-Bold.ttf"),
    "sans": ("truetype/liberation/LiberationSans-Regular.ttf", "truetype/liberation/LiberationSans-Bold.ttf"),
    "serif": ("truetype/liberation/LiberationSerif-Regular.ttf", "truetype/liberation/LiberationSerif-Bold.ttf"),
    "narrow": ("truetype/liberation/LiberationSansNarrow-Regular.ttf",
               "truetype/liberation/LiberationSansNarrow-Bold.ttf"),
    "lmono": ("truetype/liberation/LiberationMono-Regular.ttf", "truetype/liberation/LiberationMono-Bold.ttf"),
    "jp": ("opentype/ipafont-gothic/ipag.ttf", "opentype/ipafont-gothic/ipag.ttf"),
}


def font_file(name: str, bold: bool) -> str:
    path = Path("/usr/share/fonts") / FONTS[name][1 if bold else 0]
    if not path.is_file():
        sys.exit(f"missing font {path}: see README.md (fonts-dejavu-core, fonts-liberation, fonts-ipafont-gothic)")
    return str(path)


def S(locale, form, scheme, supplier, *address, customer="", dist=None, faint=None):
    return Spec(locale, form, scheme, supplier, list(address), customer, dist, faint)


SPECS = [
    S("de-DE", "photo", "gross1", "Feinkost Albrecht & Söhne", "Marktplatz 7", "69117 Heidelberg"),
    S("de-DE", "photo", "gross2", "Backstube Weizenkorn KG", "Bergstraße 41", "01069 Dresden"),
    S("de-DE", "photo", "taxi", "Funktaxi Ruhrpott GmbH", "Kettwiger Str. 2", "45127 Essen"),
    S("de-DE", "photo", "fuel", "Tankstelle Hansen OHG", "Bremer Heerstraße 118", "26135 Oldenburg"),
    S("de-DE", "scan", "gross1", "Bürowelt Krämer GmbH", "Industriestraße 9", "70565 Stuttgart",
      customer="Lindner Architekten PartG"),
    S("de-DE", "einvoice", "gross1", "Drucksachen Vogel GmbH", "Am Hafen 3", "20457 Hamburg",
      customer="Wendt & Partner Steuerberater"),
    S("de-DE", "einvoice", "gross2", "Tagungshotel Seeblick GmbH", "Uferweg 12", "82319 Starnberg",
      customer="Kessler Maschinenbau AG"),
    S("de-CH", "photo", "gross1", "Confiserie Brändli AG", "Spalenberg 22", "4051 Basel"),
    S("de-CH", "photo", "gross2", "Migros-Partner Lädeli Rüegg", "Dorfstrasse 5", "8712 Stäfa"),
    S("de-CH", "photo", "incl", "Gasthaus Adler Appenzell", "Hauptgasse 30", "9050 Appenzell"),
    S("de-CH", "scan", "gross1", "Papeterie Meier & Co.", "Marktgasse 14", "3011 Bern",
      customer="Huber Treuhand GmbH"),
    S("de-CH", "einvoice", "gross1", "Alpin IT-Services GmbH", "Bahnhofstrasse 80", "6003 Luzern",
      customer="Schneider Logistik AG"),
    S("fr-FR", "photo", "gross1", "Librairie des Canuts", "12 rue d'Austerlitz", "69004 Lyon"),
    S("fr-FR", "photo", "gross2", "Brasserie Le Vieux Port", "4 quai du Port", "13002 Marseille"),
    S("fr-FR", "photo", "incl", "Crêperie Ty Breizh", "7 rue Saint-Michel", "35000 Rennes"),
    S("fr-FR", "photo", "fuel", "Station Relais de la Loire", "RN 152", "41000 Blois"),
    S("fr-FR", "scan", "gross2", "Épicerie Fine Dumas", "28 cours Mirabeau", "13100 Aix-en-Provence"),
    S("fr-FR", "einvoice", "gross1", "Atelier Graphique Moreau SARL", "15 boulevard Voltaire", "75011 Paris",
      customer="Société Lambert Conseil"),
    S("it-IT", "photo", "gross1", "Bar Pasticceria Duomo", "Piazza del Duomo 9", "20122 Milano"),
    S("it-IT", "photo", "incl", "Trattoria da Gigi", "Via dei Serpenti 40", "00184 Roma"),
    S("it-IT", "photo", "taxi", "Radio Taxi Firenze Soc. Coop.", "Via Pratese 5", "50145 Firenze"),
    S("it-IT", "scan", "gross2", "Cartoleria Fontana", "Corso Vittorio Emanuele 61", "10128 Torino"),
    S("it-IT", "einvoice", "gross1", "Studio Tecnico Bianchi S.r.l.", "Via Garibaldi 18", "40124 Bologna",
      customer="Rossi Impianti S.p.A."),
    S("es-ES", "photo", "gross1", "Cafetería La Giralda", "Calle Mateos Gago 3", "41004 Sevilla"),
    S("es-ES", "photo", "incl", "Taberna El Pescador", "Paseo Marítimo 22", "29016 Málaga"),
    S("es-ES", "photo", "gross2", "Supermercado Olivares", "Avenida de Aragón 150", "46021 Valencia"),
    S("es-ES", "scan", "gross1", "Ferretería Castillo S.L.", "Calle Mayor 77", "50001 Zaragoza",
      customer="Construcciones Ibarra S.A."),
    S("es-ES", "einvoice", "gross1", "Traducciones Alcázar S.L.", "Gran Vía 31", "28013 Madrid",
      customer="Bodegas Herrera S.L."),
    S("nl-NL", "photo", "gross1", "Koffiebar De Gracht", "Prinsengracht 210", "1016 HD Amsterdam"),
    S("nl-NL", "photo", "gross2", "Bakkerij Van Dijk", "Oudegracht 88", "3511 AV Utrecht"),
    S("nl-NL", "photo", "incl", "Eetcafé Het Anker", "Haven 4", "2312 MG Leiden"),
    S("nl-NL", "scan", "gross2", "Kantoorvakhandel Smits", "Stationsplein 6", "5611 AB Eindhoven",
      customer="Bosman Installatietechniek B.V."),
    S("nl-NL", "einvoice", "gross1", "Webbureau Zeewind B.V.", "Lange Voorhout 17", "2514 EC Den Haag",
      customer="Verhoeven Transport B.V."),
    S("sv-SE", "photo", "gross1", "Konditori Kanelen", "Drottninggatan 45", "111 21 Stockholm"),
    S("sv-SE", "photo", "gross2", "Livs Ekström", "Storgatan 12", "903 26 Umeå"),
    S("sv-SE", "photo", "taxi", "Taxi Göteborg Väst AB", "Järntorget 3", "413 04 Göteborg"),
    S("sv-SE", "scan", "gross1", "Bokhandeln Lindgren", "Kungsgatan 8", "753 21 Uppsala"),
    S("sv-SE", "einvoice", "gross1", "Nordljus Konsult AB", "Stora Nygatan 20", "211 37 Malmö",
      customer="Bergström Bygg AB"),
    S("da-DK", "photo", "gross1", "Café Havnekanten", "Nyhavn 31", "1051 København K"),
    S("da-DK", "photo", "incl", "Smørrebrød hos Jensen", "Vestergade 9", "8000 Aarhus C"),
    S("da-DK", "einvoice", "gross1", "Fjord Design ApS", "Algade 44", "9000 Aalborg",
      customer="Mortensen Rådgivning A/S"),
    S("ja-JP", "photo", "gross1", "喫茶さくらんぼ", "東京都台東区浅草2-3-1", "TEL 03-5555-0142"),
    S("ja-JP", "photo", "gross2", "ファミリーストア緑町店", "札幌市中央区緑町4-8", "TEL 011-555-0188"),
    S("ja-JP", "photo", "net1", "文具のまつもと", "大阪市北区梅田1-11", "TEL 06-5555-0123"),
    S("ja-JP", "scan", "gross1", "京都ホテル鴨川", "京都市中京区木屋町通3", "TEL 075-555-0166",
      customer="株式会社山田商事"),
    S("ja-JP", "einvoice", "net1", "株式会社ひかりシステム", "横浜市西区みなとみらい2-2", "TEL 045-555-0101",
      customer="合同会社アオバ"),
    S("en-US", "photo", "net1", "Lone Pine Outfitters", "88 Main St", "Bozeman, MT 59715"),
    S("en-US", "photo", "tip", "Bluebird Diner", "1420 Ocean Ave", "Santa Monica, CA 90401"),
    S("en-US", "photo", "tip", "Smoky Joe's BBQ", "301 Broadway", "Nashville, TN 37201"),
    S("en-US", "photo", "parking", "Midtown Garage LLC", "245 W 52nd St", "New York, NY 10019"),
    S("en-US", "scan", "net1", "Copper Kettle Print Shop", "19 Elm Street", "Burlington, VT 05401",
      customer="Harbor Light Realty"),
    S("en-US", "einvoice", "net1", "Redwood Data Consulting Inc.", "500 Market St, Suite 12",
      "San Francisco, CA 94105", customer="Pinecrest Dental Group"),
    S("en-GB", "photo", "gross1", "The Crown & Anchor", "17 High Street", "Whitby YO21 3BH"),
    S("en-GB", "photo", "service", "Mayfair Kitchen Ltd", "44 Brook Street", "London W1K 4HR"),
    S("en-GB", "photo", "fuel", "Pennine Fuels Ltd", "A62 Standedge Road", "Huddersfield HD7 6NQ"),
    S("en-GB", "scan", "gross1", "Castle Stationery Co.", "5 Castle Street", "Edinburgh EH2 3AH",
      customer="Fraser & Reid Surveyors"),
    S("en-GB", "einvoice", "gross1", "Brightwater Training Ltd", "Unit 4, Riverside Park", "Bristol BS1 6UP",
      customer="Oakley Veterinary Practice"),
    S("en-CA", "photo", "net2", "Granville Island Goods", "1669 Johnston St", "Vancouver, BC V6H 3R9"),
    S("en-CA", "photo", "net1", "Rideau Hardware", "210 Rideau St", "Ottawa, ON K1N 5Y1"),
    S("en-CA", "scan", "net2", "Okanagan Office Depot Ltd", "1950 Harvey Ave", "Kelowna, BC V1Y 8J8",
      customer="Summerland Orchards Co-op"),
    S("en-CA", "einvoice", "net1", "Lakeshore Web Studio Inc.", "88 Queens Quay W", "Toronto, ON M5J 0B8",
      customer="Beaches Physiotherapy"),
    S("en-AU", "photo", "gross1", "Bondi Beach Bakehouse", "142 Campbell Pde", "Bondi Beach NSW 2026"),
    S("en-AU", "photo", "incl", "Laneway Espresso", "8 Degraves St", "Melbourne VIC 3000"),
    S("en-AU", "einvoice", "gross1", "Outback Survey Services Pty Ltd", "21 Todd Mall", "Alice Springs NT 0870",
      customer="Red Centre Tours"),
]

# The second batch. BROAD is drawn like the first batch (every locale, every form, the photo
# damage of the fixed cycle) and split per locale into calibration (two thirds, rounded up) and
# tuning; WEAK goes to tuning only and is weighted toward what reads worst: blur, faded thermal
# print, photos turned by 90/270 degrees, crumpled paper, Japanese, VAT tables with a faint row,
# several rates, tips and "VAT included".
BROAD = [
    S("de-DE", "photo", "gross2", "Bioladen Sonnenblume", "Kastanienallee 12", "10435 Berlin"),
    S("de-DE", "photo", "taxi", "Taxi-Zentrale Leipzig eG", "Karl-Liebknecht-Str. 40", "04107 Leipzig"),
    S("de-DE", "photo", "incl", "Imbiss Zur Linde", "Lindenplatz 3", "90403 Nürnberg"),
    S("de-DE", "scan", "gross2", "Elektro Brandt GmbH", "Gewerbering 14", "28197 Bremen",
      customer="Hausverwaltung Roth"),
    S("de-DE", "einvoice", "gross1", "Kanzlei Weber & Kollegen", "Schillerstraße 22", "60313 Frankfurt am Main",
      customer="Autohaus Becker GmbH"),
    S("de-CH", "photo", "gross1", "Bäckerei Zürrer", "Limmatquai 60", "8001 Zürich"),
    S("de-CH", "photo", "taxi", "Taxi Bern Zentrum AG", "Bollwerk 15", "3011 Bern"),
    S("de-CH", "einvoice", "gross2", "Berghotel Säntisblick AG", "Schwägalp 1", "9107 Urnäsch",
      customer="Frei Consulting GmbH"),
    S("fr-FR", "photo", "gross2", "Boulangerie Au Pain Doré", "3 rue de la République", "67000 Strasbourg"),
    S("fr-FR", "photo", "gross1", "Café du Commerce", "18 place Plumereau", "37000 Tours"),
    S("fr-FR", "scan", "gross1", "Quincaillerie Lefèvre", "44 rue Nationale", "59000 Lille",
      customer="SCI Les Tilleuls"),
    S("fr-FR", "einvoice", "gross2", "Hôtel Les Remparts SARL", "2 rue Porte Neuve", "84000 Avignon",
      customer="Dupuis Ingénierie SAS"),
    S("it-IT", "photo", "gross1", "Gelateria Il Cono", "Via Toledo 120", "80134 Napoli"),
    S("it-IT", "photo", "fuel", "Distributore Adriatico", "Via Emilia 300", "47921 Rimini"),
    S("it-IT", "einvoice", "gross1", "Consulenze Greco S.r.l.", "Corso Italia 7", "95129 Catania",
      customer="Ferri Costruzioni S.r.l."),
    S("es-ES", "photo", "gross2", "Mercado San Telmo", "Calle San Telmo 8", "11002 Cádiz"),
    S("es-ES", "photo", "taxi", "Radio Taxi Bilbao", "Gran Vía 50", "48011 Bilbao"),
    S("es-ES", "scan", "gross2", "Papelería Nogal", "Calle Real 19", "15003 A Coruña",
      customer="Gestoría Pardo S.L."),
    S("nl-NL", "photo", "gross1", "Broodjeszaak De Molen", "Grote Markt 5", "9711 LV Groningen"),
    S("nl-NL", "photo", "fuel", "Tankstation Polderweg", "Polderweg 2", "8251 PK Dronten"),
    S("nl-NL", "einvoice", "gross1", "Adviesbureau Kuipers B.V.", "Coolsingel 40", "3011 AD Rotterdam",
      customer="Jansen Bouw B.V."),
    S("sv-SE", "photo", "gross2", "Närbutiken Fridhem", "Fridhemsgatan 9", "112 40 Stockholm"),
    S("sv-SE", "photo", "incl", "Kafé Blåbär", "Östra Hamngatan 2", "411 10 Göteborg"),
    S("sv-SE", "scan", "gross1", "Järnhandel Nyström", "Storgatan 30", "852 30 Sundsvall",
      customer="Åberg Fastigheter AB"),
    S("da-DK", "photo", "gross1", "Bageriet Kornblomst", "Store Torv 6", "8000 Aarhus C"),
    S("da-DK", "photo", "fuel", "Tankstation Vestkysten", "Strandvejen 101", "6700 Esbjerg"),
    S("da-DK", "scan", "gross1", "Boghandlen Holm", "Købmagergade 12", "1150 København K",
      customer="Kjær Arkitekter ApS"),
    S("ja-JP", "photo", "gross2", "スーパーみどり屋", "名古屋市中区栄3-5", "TEL 052-555-0177"),
    S("ja-JP", "photo", "taxi", "さくら交通株式会社", "福岡市博多区博多駅前1-2", "TEL 092-555-0150"),
    S("ja-JP", "photo", "gross1", "ラーメン一番星", "仙台市青葉区中央2-7", "TEL 022-555-0133"),
    S("ja-JP", "einvoice", "net1", "有限会社たけだ印刷", "神戸市中央区元町通4-1", "TEL 078-555-0190",
      customer="株式会社北斗商会"),
    S("en-US", "photo", "tip", "Golden Gate Noodle House", "828 Clay St", "San Francisco, CA 94108"),
    S("en-US", "photo", "net1", "Prairie Hardware & Feed", "410 N Main St", "Ames, IA 50010"),
    S("en-US", "photo", "parking", "Hudson Yards Parking LLC", "500 W 33rd St", "New York, NY 10001"),
    S("en-US", "scan", "net1", "Magnolia Office Supply", "72 Peachtree St", "Atlanta, GA 30303",
      customer="Dogwood Law Group"),
    S("en-US", "einvoice", "net1", "Summit Cloud Analytics LLC", "1600 Pearl St", "Boulder, CO 80302",
      customer="Aspen Family Clinic"),
    S("en-GB", "photo", "gross1", "The Red Lion", "2 Market Place", "Ludlow SY8 1AR"),
    S("en-GB", "photo", "service", "Spice Route Ltd", "91 Deansgate", "Manchester M3 2BW"),
    S("en-GB", "photo", "fuel", "Cotswold Fuels Ltd", "London Road", "Cirencester GL7 2PU"),
    S("en-GB", "einvoice", "gross1", "Thames Valley Consulting Ltd", "1 Station Road", "Reading RG1 1LX",
      customer="Kingfisher Dental Care"),
    S("en-CA", "photo", "net2", "Maritime Provisions", "1890 Barrington St", "Halifax, NS B3J 1P2"),
    S("en-CA", "photo", "tip", "Poutine Palace", "1250 Rue Ste-Catherine", "Montréal, QC H3G 1P1"),
    S("en-CA", "scan", "net1", "Prairie Office Supplies Ltd", "10220 Jasper Ave", "Edmonton, AB T5J 1Z7",
      customer="Northern Lights Dental"),
    S("en-AU", "photo", "gross1", "Harbourside Fish & Chips", "3 Circular Quay", "Sydney NSW 2000"),
    S("en-AU", "photo", "incl", "Southbank Coffee Co", "10 Grey St", "South Brisbane QLD 4101"),
    S("en-AU", "einvoice", "gross1", "Coral Coast IT Pty Ltd", "55 Lake St", "Cairns QLD 4870",
      customer="Reef Dive Adventures"),
]

P = ["table", "skew"]
WEAK = [
    S("ja-JP", "photo", "gross1", "居酒屋はなび", "東京都新宿区歌舞伎町1-4", "TEL 03-5555-0199", dist=P + ["blur"]),
    S("ja-JP", "photo", "gross2", "ドラッグストアあおば", "千葉市中央区富士見2-9", "TEL 043-555-0122",
      dist=P + ["faded"], faint=1),
    S("ja-JP", "photo", "net1", "ホームセンターやまと", "奈良市三条町6", "TEL 0742-55-0108", dist=P + ["rot90"]),
    S("ja-JP", "photo", "gross1", "カフェこもれび", "金沢市広坂1-2", "TEL 076-555-0145",
      dist=P + ["shadow", "crumpled"]),
    S("ja-JP", "photo", "taxi", "みなと交通", "横浜市中区山下町10", "TEL 045-555-0170",
      dist=P + ["perspective", "rot270"]),
    S("ja-JP", "scan", "gross2", "広島文具センター", "広島市中区紙屋町1-3", "TEL 082-555-0111",
      customer="株式会社みらい建設"),
    S("de-DE", "photo", "gross2", "Metzgerei Hofmann", "Hauptstraße 55", "97070 Würzburg",
      dist=P + ["blur"], faint=0),
    S("fr-FR", "photo", "gross1", "Pharmacie du Marché", "9 place du Marché", "44000 Nantes", dist=P + ["blur"]),
    S("en-GB", "photo", "gross1", "The Old Bell Inn", "12 Church Lane", "York YO1 8BA", dist=P + ["shadow", "blur"]),
    S("nl-NL", "photo", "gross2", "Kaaswinkel Het Wiel", "Markt 21", "2801 JJ Gouda",
      dist=P + ["perspective", "blur"]),
    S("en-US", "photo", "tip", "Harbor Crab Shack", "12 Pier Rd", "Portland, ME 04101", dist=P + ["blur"]),
    S("de-DE", "photo", "gross1", "Drogerie Falk", "Lange Straße 8", "26122 Oldenburg", dist=P + ["faded"]),
    S("it-IT", "photo", "gross2", "Alimentari Esposito", "Via Roma 44", "90133 Palermo",
      dist=P + ["faded"], faint=1),
    S("es-ES", "photo", "incl", "Churrería San Ginés", "Pasadizo de San Ginés 5", "28013 Madrid",
      dist=P + ["crumpled", "faded"]),
    S("sv-SE", "photo", "gross2", "Matbutiken Solrosen", "Solrosvägen 3", "722 20 Västerås", dist=P + ["faded"]),
    S("en-CA", "photo", "net2", "Yukon Trading Post", "208 Main St", "Whitehorse, YT Y1A 2B2",
      dist=P + ["shadow", "faded"]),
    S("de-CH", "photo", "gross2", "Dorfladen Ennetbürgen", "Dorfplatz 2", "6373 Ennetbürgen",
      dist=P + ["rot90"], faint=0),
    S("fr-FR", "photo", "incl", "Bistrot des Halles", "5 rue des Halles", "21000 Dijon", dist=P + ["rot270"]),
    S("en-AU", "photo", "gross1", "Kings Cross Pharmacy", "88 Darlinghurst Rd", "Potts Point NSW 2011",
      dist=P + ["shadow", "rot90"]),
    S("da-DK", "photo", "gross2", "Købmand Skovgaard", "Havnevej 4", "9990 Skagen", dist=P + ["rot270"]),
    S("en-US", "photo", "net1", "Desert Bloom Florist", "45 E Roosevelt St", "Phoenix, AZ 85004",
      dist=P + ["blur", "rot270"]),
    S("de-DE", "photo", "gross2", "Getränkemarkt Kühn", "Ringstraße 70", "34117 Kassel",
      dist=P + ["crumpled"], faint=1),
    S("fr-FR", "photo", "gross2", "Primeur Le Jardin", "11 rue Mercière", "69002 Lyon",
      dist=P + ["perspective", "crumpled"]),
    S("nl-NL", "photo", "gross2", "Slagerij De Boer", "Dorpsstraat 16", "1721 BC Broek op Langedijk",
      dist=P + ["shadow", "blur"], faint=0),
    S("en-GB", "photo", "service", "Bombay Brasserie Leeds Ltd", "6 Call Lane", "Leeds LS1 6DN",
      dist=P + ["crumpled"]),
    S("es-ES", "photo", "gross2", "Frutería Hermanos Gil", "Calle Alfarería 30", "41010 Sevilla",
      dist=P + ["blur"], faint=1),
    S("en-US", "photo", "tip", "Cactus Cantina", "902 Congress Ave", "Austin, TX 78701", dist=P + ["faded"]),
]
SECOND = BROAD + WEAK

# The third batch (tuning only), added after the second was measured: on the held-apart part the
# weakest photos were faded and blurred ones, and the tuning part's faded and blurred photos mostly
# carried that damage alone, while the fixed cycle of the first batch lays shadow, perspective and
# crumpling over it. These combine fading or blur with that other damage, over every locale and
# the schemes whose net and tax are read from a row (VAT tables, "VAT included", net + tax).
THIRD = [
    S("de-DE", "photo", "gross2", "Feinkost Lorenz", "Domplatz 4", "93047 Regensburg",
      dist=P + ["shadow", "faded"]),
    S("de-DE", "photo", "gross1", "Café Kranzler Eck", "Wilhelmstraße 9", "65183 Wiesbaden",
      dist=P + ["perspective", "shadow", "faded"]),
    S("de-DE", "photo", "taxi", "Taxi Ruf Mainz", "Bahnhofplatz 1", "55116 Mainz",
      dist=P + ["perspective", "shadow", "blur"]),
    S("de-DE", "photo", "incl", "Backhaus Möller", "Marktstraße 11", "24103 Kiel",
      dist=P + ["crumpled", "shadow", "blur"]),
    S("de-CH", "photo", "gross1", "Café Sprüngli Ecke", "Rennweg 3", "8001 Zürich",
      dist=P + ["perspective", "faded"]),
    S("de-CH", "photo", "gross2", "Volg Laden Grindelwald", "Dorfstrasse 90", "3818 Grindelwald",
      dist=P + ["shadow", "blur"]),
    S("fr-FR", "photo", "gross2", "Supérette du Port", "6 quai Duguay-Trouin", "35400 Saint-Malo",
      dist=P + ["perspective", "shadow", "faded"]),
    S("fr-FR", "photo", "gross1", "Tabac de la Gare", "1 place de la Gare", "51100 Reims",
      dist=P + ["crumpled", "blur"]),
    S("fr-FR", "photo", "incl", "Pizzeria Bella Nizza", "14 rue Pairolière", "06300 Nice",
      dist=P + ["shadow", "crumpled", "faded"]),
    S("it-IT", "photo", "gross1", "Caffè Pedrocchi Sud", "Via VIII Febbraio 15", "35122 Padova",
      dist=P + ["perspective", "shadow", "blur"]),
    S("it-IT", "photo", "incl", "Osteria del Ponte", "Via Mazzini 8", "37121 Verona",
      dist=P + ["shadow", "faded"]),
    S("es-ES", "photo", "gross1", "Bar Los Arcos", "Plaza Mayor 12", "37002 Salamanca",
      dist=P + ["perspective", "shadow", "faded"]),
    S("es-ES", "photo", "gross2", "Autoservicio El Olivo", "Calle Larios 20", "29005 Málaga",
      dist=P + ["shadow", "blur"]),
    S("nl-NL", "photo", "gross1", "Lunchroom De Zon", "Vismarkt 3", "4811 WE Breda",
      dist=P + ["perspective", "crumpled", "faded"]),
    S("nl-NL", "photo", "incl", "Friettent Het Plein", "Plein 1", "6811 KN Arnhem",
      dist=P + ["perspective", "shadow", "blur"]),
    S("sv-SE", "photo", "gross1", "Bageri Vete & Råg", "Kyrkogatan 5", "222 22 Lund",
      dist=P + ["shadow", "faded"]),
    S("sv-SE", "photo", "gross2", "Hemköp Tornet", "Tornplatsen 1", "702 10 Örebro",
      dist=P + ["perspective", "blur"]),
    S("da-DK", "photo", "gross1", "Kaffebaren Åen", "Åboulevarden 20", "8000 Aarhus C",
      dist=P + ["perspective", "shadow", "faded"]),
    S("ja-JP", "photo", "gross1", "そば処ふじや", "長野市大門町5", "TEL 026-555-0118",
      dist=P + ["shadow", "faded"]),
    S("ja-JP", "photo", "gross2", "コンビニひまわり", "岡山市北区駅前町2-1", "TEL 086-555-0164",
      dist=P + ["perspective", "shadow", "blur"]),
    S("en-US", "photo", "tip", "Liberty Bell Tavern", "150 Market St", "Philadelphia, PA 19106",
      dist=P + ["perspective", "shadow", "faded"]),
    S("en-US", "photo", "net1", "Great Lakes Hardware", "600 W Lake St", "Chicago, IL 60661",
      dist=P + ["crumpled", "shadow", "blur"]),
    S("en-GB", "photo", "gross1", "The Fox & Hounds", "3 Bridge Street", "Bath BA2 4AS",
      dist=P + ["perspective", "shadow", "faded"]),
    S("en-GB", "photo", "service", "Curry Mile Kitchen Ltd", "70 Wilmslow Road", "Manchester M14 5TQ",
      dist=P + ["shadow", "blur"]),
    S("en-CA", "photo", "net2", "Bay of Fundy Outfitters", "15 Water St", "Saint John, NB E2L 1R7",
      dist=P + ["perspective", "shadow", "faded"]),
    S("en-AU", "photo", "gross1", "Fremantle Fish Market", "2 Mews Rd", "Fremantle WA 6160",
      dist=P + ["crumpled", "faded", "blur"]),
]

# The fourth batch (tuning only), added at stop 37: the calibration part showed sure values that
# were wrong (totals, a currency, a supplier) while the tuning part's sure values were nearly all
# right, and the tuning part had grown toward faded and blurred photos. These are the ordinary mix
# again, as broad as the calibration part (photos with the first batch's damage cycle, scans and
# e-invoices, every locale and tax scheme), so such failures can be studied on tuning receipts.
FOURTH = [
    S("de-DE", "photo", "gross1", "Bäckerei Sonnenschein", "Lindenallee 3", "50968 Köln"),
    S("de-DE", "photo", "fuel", "Autohof Kassel-Ost GmbH", "Sandershäuser Str. 34", "34123 Kassel"),
    S("de-DE", "scan", "gross2", "Schreibwaren Pöhlmann", "Ludwigstraße 6", "80539 München",
      customer="Gärtner & Weiß Immobilien"),
    S("de-DE", "einvoice", "gross1", "Netzwerkhaus Brandt GmbH", "Friedrichstraße 120", "10117 Berlin",
      customer="Zimmermann Logistik KG"),
    S("de-CH", "photo", "gross2", "Bäckerei Frey", "Marktplatz 11", "9000 St. Gallen"),
    S("de-CH", "einvoice", "gross1", "Treuhand Wyss AG", "Bundesgasse 16", "3011 Bern",
      customer="Käserei Gerber AG"),
    S("fr-FR", "photo", "gross2", "Fromagerie Bérard", "22 rue des Marchands", "68000 Colmar"),
    S("fr-FR", "photo", "taxi", "Taxis Bleus Bordeaux", "12 cours de l'Intendance", "33000 Bordeaux"),
    S("fr-FR", "einvoice", "gross2", "Hôtel Le Régent SAS", "5 place Kléber", "67000 Strasbourg",
      customer="Girard Expertise SARL"),
    S("it-IT", "photo", "gross2", "Panificio Colombo", "Via Dante 17", "24121 Bergamo"),
    S("it-IT", "scan", "gross1", "Ferramenta Ricci", "Via Nazionale 90", "65122 Pescara",
      customer="Marini Edilizia S.r.l."),
    S("es-ES", "photo", "taxi", "Taxi Valencia Centro", "Plaza del Ayuntamiento 1", "46002 Valencia"),
    S("es-ES", "einvoice", "gross2", "Hostal Miramar S.L.", "Paseo de la Concha 4", "20007 San Sebastián",
      customer="Ortega Consultores S.L."),
    S("nl-NL", "photo", "fuel", "Tankstation De Hoek", "Hoekseweg 1", "4711 AA Sint Willebrord"),
    S("nl-NL", "scan", "gross1", "Boekhandel Van der Meer", "Breestraat 60", "2311 CS Leiden",
      customer="Visser Advocaten B.V."),
    S("sv-SE", "photo", "incl", "Café Gamla Stan", "Västerlånggatan 19", "111 29 Stockholm"),
    S("sv-SE", "einvoice", "gross2", "Hotell Norrsken AB", "Storgatan 50", "972 31 Luleå",
      customer="Lundqvist Teknik AB"),
    S("da-DK", "photo", "gross2", "Netto-Købmanden Ribe", "Sortebrødregade 3", "6760 Ribe"),
    S("da-DK", "einvoice", "gross1", "Nordlys Revision ApS", "Jernbanegade 8", "5000 Odense C",
      customer="Thomsen Transport A/S"),
    S("ja-JP", "photo", "gross2", "ベーカリーこむぎ", "さいたま市大宮区桜木町1-7", "TEL 048-555-0136"),
    S("ja-JP", "photo", "taxi", "つばめタクシー", "静岡市葵区御幸町8", "TEL 054-555-0127"),
    S("ja-JP", "einvoice", "net1", "株式会社あさひ設計", "福岡市中央区天神1-4", "TEL 092-555-0183",
      customer="有限会社こだま"),
    S("en-US", "photo", "tip", "Bayou Po' Boys", "630 Decatur St", "New Orleans, LA 70130"),
    S("en-US", "photo", "parking", "Union Station Garage LLC", "1 Union Sta", "Denver, CO 80202"),
    S("en-US", "scan", "net1", "Lone Star Copy Center", "301 Congress Ave", "Austin, TX 78701",
      customer="Pecan Street Dental"),
    S("en-GB", "photo", "service", "Ganges Tandoori Ltd", "14 Broad Street", "Oxford OX1 3AS"),
    S("en-GB", "photo", "fuel", "Pennine Fuels Ltd", "Huddersfield Road", "Halifax HX3 0AA"),
    S("en-CA", "photo", "tip", "Granville Island Bistro", "1585 Johnston St", "Vancouver, BC V6H 3R9"),
    S("en-CA", "einvoice", "net1", "Rideau Systems Inc.", "150 Elgin St", "Ottawa, ON K2P 1L4",
      customer="Capital Physio Clinic"),
    S("en-AU", "photo", "incl", "Bondi Beach Kiosk", "1 Queen Elizabeth Dr", "Bondi Beach NSW 2026"),
]

# The fifth batch, the part "unseen": generated at stop 38 after the suggester's last change of
# that stop and measured once, so its figures are the first reading of receipts the code has never
# met (the held-apart part had by then been measured at many stops). Drawn like the first batch:
# every locale, form and tax scheme, photos with the damage of the fixed cycle.
FIFTH = [
    S("de-DE", "photo", "gross2", "Hofladen Petersen", "Dorfstraße 21", "25813 Husum"),
    S("de-DE", "photo", "taxi", "Taxi Express Dresden", "Prager Straße 2", "01069 Dresden"),
    S("de-DE", "photo", "incl", "Eiscafé Venezia Bonn", "Remigiusstraße 4", "53111 Bonn"),
    S("de-DE", "scan", "gross1", "Buchbinderei Schäfer", "Altmarkt 9", "39104 Magdeburg",
      customer="Praxis Dr. Krüger"),
    S("de-DE", "einvoice", "gross2", "Tagungszentrum Nordlicht GmbH", "Hafenstraße 30", "18055 Rostock",
      customer="Meyer Elektrotechnik GmbH"),
    S("de-CH", "photo", "gross1", "Café Grütli", "Marktgasse 7", "4051 Basel"),
    S("de-CH", "photo", "gross2", "Dorfmetzg Imhof", "Hauptstrasse 18", "6460 Altdorf"),
    S("de-CH", "einvoice", "gross1", "Schneider Informatik GmbH", "Pilatusstrasse 5", "6003 Luzern",
      customer="Gasthof Rössli AG"),
    S("fr-FR", "photo", "gross1", "Brasserie de l'Horloge", "9 place de l'Horloge", "84000 Avignon"),
    S("fr-FR", "photo", "fuel", "Station des Volcans", "Route de Clermont", "63400 Chamalières"),
    S("fr-FR", "scan", "gross2", "Droguerie Marchal", "15 rue Saint-Dizier", "54000 Nancy",
      customer="Cabinet Lemoine"),
    S("fr-FR", "einvoice", "gross1", "Traductions Fabre SARL", "40 cours Mirabeau", "13100 Aix-en-Provence",
      customer="Laboratoire Roux SAS"),
    S("it-IT", "photo", "gross2", "Forno Santa Lucia", "Via Garibaldi 33", "10122 Torino"),
    S("it-IT", "photo", "taxi", "Taxi Milano Centrale", "Piazza Duca d'Aosta 1", "20124 Milano"),
    S("it-IT", "einvoice", "gross2", "Albergo Lago Blu S.r.l.", "Lungolago 12", "22100 Como",
      customer="Rinaldi Progetti S.r.l."),
    S("es-ES", "photo", "gross1", "Cervecería La Concha", "Calle Mayor 3", "31001 Pamplona"),
    S("es-ES", "photo", "fuel", "Estación de Servicio El Pinar", "Carretera N-340 km 12", "12540 Vila-real"),
    S("es-ES", "einvoice", "gross1", "Asesoría Molina S.L.", "Avenida de la Constitución 6", "41004 Sevilla",
      customer="Clínica Dental Vega"),
    S("nl-NL", "photo", "gross2", "Toko Mandarijn", "Lange Poten 14", "2511 CM Den Haag"),
    S("nl-NL", "photo", "taxi", "Taxicentrale Utrecht", "Stationsplein 1", "3511 ED Utrecht"),
    S("nl-NL", "scan", "gross2", "Fietsenmaker Bakker", "Nieuwstraat 8", "7411 LK Deventer",
      customer="Kinderopvang De Vlinder"),
    S("sv-SE", "photo", "gross1", "Fiskbutiken Hamnen", "Hamngatan 4", "451 30 Uddevalla"),
    S("sv-SE", "photo", "taxi", "Taxi Uppsala Norr", "Kungsgatan 60", "753 21 Uppsala"),
    S("sv-SE", "einvoice", "gross1", "Redovisningsbyrån Falk AB", "Drottninggatan 12", "652 24 Karlstad",
      customer="Sjöberg Bygg AB"),
    S("da-DK", "photo", "incl", "Pølsevognen Rådhuspladsen", "Rådhuspladsen 1", "1550 København V"),
    S("da-DK", "photo", "gross2", "Brugsen Skagen", "Sct. Laurentii Vej 20", "9990 Skagen"),
    S("ja-JP", "photo", "gross1", "喫茶あじさい", "京都市左京区岡崎1-3", "TEL 075-555-0161"),
    S("ja-JP", "photo", "gross2", "青果みなみ", "横浜市中区元町2-8", "TEL 045-555-0147"),
    S("ja-JP", "scan", "net1", "株式会社ひかり文具", "札幌市中央区大通西4", "TEL 011-555-0129",
      customer="医療法人わかば会"),
    S("en-US", "photo", "tip", "Blue Ridge Smokehouse", "22 Patton Ave", "Asheville, NC 28801"),
    S("en-US", "photo", "net1", "Cape Cod Marine Supply", "45 Main St", "Hyannis, MA 02601"),
    S("en-US", "einvoice", "net1", "Willamette Web Works LLC", "800 SW Broadway", "Portland, OR 97205",
      customer="Rose City Veterinary"),
    S("en-GB", "photo", "service", "Lakeside Thai Ltd", "8 Lake Road", "Windermere LA23 3AP"),
    S("en-GB", "scan", "gross1", "Heron Print & Post", "27 High Street", "Lewes BN7 2LU",
      customer="Downs Physiotherapy"),
    S("en-CA", "photo", "tip", "Rocky Mountain Grill", "305 Banff Ave", "Banff, AB T1L 1B4"),
    S("en-AU", "photo", "gross1", "Salamanca Market Deli", "41 Salamanca Pl", "Hobart TAS 7004"),
]

# The sixth batch (tuning only), added at stop 40: the unseen part read about seven points below
# the tuning part, weakest on blurred and faded photos, on suppliers and on net and tax. These are
# drawn like the unseen part (photos with the first batch's damage cycle, scans and e-invoices,
# every locale and tax scheme), so that what the tuning part teaches can be checked to carry over
# to receipts of the same kinds.
SIXTH = [
    S("de-DE", "photo", "gross1", "Metzgerei Oberländer", "Hauptstraße 44", "79098 Freiburg"),
    S("de-DE", "photo", "incl", "Imbiss Zur Brücke", "Brückenstraße 2", "54290 Trier"),
    S("de-DE", "photo", "fuel", "Tankhof Wittmann", "Landsberger Str. 200", "80687 München"),
    S("de-DE", "scan", "gross2", "Kopierladen Engel", "Schillerstraße 15", "99084 Erfurt",
      customer="Hausarztpraxis Böhm"),
    S("de-DE", "einvoice", "gross1", "Softwarehaus Kühne GmbH", "Am Sandtorkai 5", "20457 Hamburg",
      customer="Reisebüro Winter KG"),
    S("de-CH", "photo", "incl", "Beizli zum Löwen", "Rathausgasse 3", "5000 Aarau"),
    S("de-CH", "photo", "gross1", "Drogerie Zürcher", "Seestrasse 61", "8810 Horgen"),
    S("fr-FR", "photo", "gross2", "Boucherie Chevallier", "3 rue de la République", "21000 Dijon"),
    S("fr-FR", "photo", "taxi", "Allo Taxi Toulouse", "2 place du Capitole", "31000 Toulouse"),
    S("fr-FR", "einvoice", "gross2", "Imprimerie Garnier SARL", "18 rue Nationale", "37000 Tours",
      customer="Agence Perrin Immobilier"),
    S("it-IT", "photo", "gross1", "Gelateria Il Gabbiano", "Lungomare Trieste 20", "84121 Salerno"),
    S("it-IT", "photo", "incl", "Pizzeria Vesuvio", "Via Toledo 150", "80134 Napoli"),
    S("it-IT", "scan", "gross2", "Copisteria Galli", "Via Roma 44", "90133 Palermo",
      customer="Studio Legale Conti"),
    S("es-ES", "photo", "gross2", "Frutería Hermanos Gil", "Calle del Carmen 9", "30001 Murcia"),
    S("es-ES", "photo", "taxi", "Radio Taxi Bilbao", "Plaza Moyúa 1", "48009 Bilbao"),
    S("es-ES", "einvoice", "gross2", "Gestoría Navarro S.L.", "Calle Colón 22", "46004 Valencia",
      customer="Academia Luna S.L."),
    S("nl-NL", "photo", "gross1", "Bakkerij Smit", "Markt 12", "5211 JX 's-Hertogenbosch"),
    S("nl-NL", "einvoice", "gross1", "Drukkerij Hendriks B.V.", "Oudegracht 100", "3511 AX Utrecht",
      customer="Tandartspraktijk Mulder"),
    S("sv-SE", "photo", "gross2", "ICA Nära Linden", "Lindvägen 3", "903 27 Umeå"),
    S("sv-SE", "photo", "incl", "Kafé Sjöbris", "Strandvägen 7", "392 30 Kalmar"),
    S("da-DK", "photo", "gross1", "Bageriet Ved Åen", "Vestergade 11", "7100 Vejle"),
    S("da-DK", "scan", "gross2", "Boghandel Holm", "Algade 30", "9000 Aalborg",
      customer="Klinik for Fysioterapi"),
    S("ja-JP", "photo", "gross2", "スーパーいずみ", "仙台市青葉区中央3-2", "TEL 022-555-0172"),
    S("ja-JP", "einvoice", "net1", "合同会社そよかぜ", "名古屋市中区栄2-9", "TEL 052-555-0115",
      customer="株式会社みどり"),
    S("en-US", "photo", "tip", "Cactus Flower Cantina", "120 E Congress St", "Tucson, AZ 85701"),
    S("en-US", "photo", "parking", "Harbor Point Parking LLC", "75 Pier Ave", "Seattle, WA 98101"),
    S("en-GB", "photo", "gross1", "The Crooked Spire Cafe", "5 Market Place", "Chesterfield S40 1TJ"),
    S("en-GB", "photo", "service", "Mersey Noodle Bar Ltd", "31 Bold Street", "Liverpool L1 4DN"),
    S("en-CA", "photo", "net2", "Halifax Harbour Books", "1600 Lower Water St", "Halifax, NS B3J 1S5"),
    S("en-AU", "photo", "gross2", "Cairns Esplanade Cafe", "60 The Esplanade", "Cairns QLD 4870"),
]

# The seventh batch, the part "unseen_2": generated at stop 40 before any measurement of it, after
# the part "unseen" had been measured three times (stop 39 once; stop 40 twice, the second time to
# tell which of that stop's rules a regression came from). Drawn like the fifth batch.
SEVENTH = [
    S("de-DE", "photo", "gross1", "Weinhaus Keller", "Marktstraße 3", "67433 Neustadt"),
    S("de-DE", "photo", "taxi", "Taxi Zentrale Kiel", "Bahnhofstraße 1", "24103 Kiel"),
    S("de-DE", "photo", "incl", "Brezelbude am Dom", "Domplatz 2", "86150 Augsburg"),
    S("de-DE", "scan", "gross2", "Bürobedarf Lorenz", "Kaiserstraße 77", "66111 Saarbrücken",
      customer="Ingenieurbüro Seidel"),
    S("de-DE", "einvoice", "gross1", "Webagentur Fuchs GmbH", "Lange Reihe 9", "20099 Hamburg",
      customer="Zahnarztpraxis Dr. Lang"),
    S("de-CH", "photo", "gross2", "Chäsi Gstaad", "Promenade 20", "3780 Gstaad"),
    S("de-CH", "photo", "incl", "Bärenbeiz Thun", "Obere Hauptgasse 4", "3600 Thun"),
    S("de-CH", "einvoice", "gross1", "Berger Consulting AG", "Löwenstrasse 2", "8001 Zürich",
      customer="Spital Wädenswil AG"),
    S("fr-FR", "photo", "incl", "Crêperie Saint-Malo", "2 rue Jacques Cartier", "35400 Saint-Malo"),
    S("fr-FR", "photo", "gross2", "Épicerie Le Panier", "11 rue Paradis", "13001 Marseille"),
    S("fr-FR", "scan", "gross1", "Quincaillerie Morel", "8 rue de Metz", "57000 Metz",
      customer="Garage Duval"),
    S("fr-FR", "einvoice", "gross2", "Hôtel des Alpes SARL", "3 avenue Alsace-Lorraine", "38000 Grenoble",
      customer="Bureau d'études Petit"),
    S("it-IT", "photo", "gross1", "Bar Centrale Lucca", "Piazza San Michele 7", "55100 Lucca"),
    S("it-IT", "photo", "fuel", "Distributore Adriatico", "Via Flaminia 200", "47921 Rimini"),
    S("it-IT", "einvoice", "gross1", "Studio Grafico Serra", "Via Emilia 45", "41121 Modena",
      customer="Ottica Ferri S.r.l."),
    S("es-ES", "photo", "gross2", "Panadería La Espiga", "Calle Real 14", "15003 A Coruña"),
    S("es-ES", "photo", "taxi", "Taxi Granada Libre", "Gran Vía de Colón 5", "18001 Granada"),
    S("es-ES", "scan", "gross1", "Librería Cervantes", "Calle Uría 8", "33003 Oviedo",
      customer="Notaría Pardo"),
    S("nl-NL", "photo", "incl", "Pannenkoekenhuis De Molen", "Molenweg 2", "1621 AA Hoorn"),
    S("nl-NL", "photo", "gross1", "Slagerij Jansen", "Kerkstraat 19", "5611 GH Eindhoven"),
    S("nl-NL", "einvoice", "gross2", "Adviesbureau Vos B.V.", "Coolsingel 40", "3011 AD Rotterdam",
      customer="Fysiotherapie Dekker"),
    S("sv-SE", "photo", "gross2", "Coop Konsum Visby", "Adelsgatan 20", "621 56 Visby"),
    S("sv-SE", "photo", "fuel", "Bensinstation Norrvik", "Norrvägen 3", "831 34 Östersund"),
    S("sv-SE", "scan", "gross1", "Pappershandeln Ek", "Storgatan 9", "541 30 Skövde",
      customer="Tandläkare Berg AB"),
    S("da-DK", "photo", "gross1", "Kaffehuset Nyhavn", "Nyhavn 17", "1051 København K"),
    S("da-DK", "einvoice", "gross2", "Jensen Rådgivning ApS", "Vestergade 2", "8000 Aarhus C",
      customer="Dyreklinikken Vest"),
    S("ja-JP", "photo", "gross2", "ドラッグストアさくら", "神戸市中央区三宮町1-5", "TEL 078-555-0190"),
    S("ja-JP", "photo", "taxi", "みどりタクシー", "広島市中区紙屋町2-2", "TEL 082-555-0133"),
    S("ja-JP", "einvoice", "net1", "株式会社ゆうぐも", "金沢市広坂1-1", "TEL 076-555-0158",
      customer="有限会社はるか"),
    S("en-US", "photo", "tip", "Harborview Oyster House", "12 Commercial St", "Portland, ME 04101"),
    S("en-US", "photo", "parking", "Midtown Garage LLC", "250 W 40th St", "New York, NY 10018"),
    S("en-US", "scan", "net1", "Desert Sun Print Shop", "410 N Central Ave", "Phoenix, AZ 85004",
      customer="Saguaro Family Dental"),
    S("en-GB", "photo", "gross2", "Cotswold Farm Shop", "High Street", "Stow-on-the-Wold GL54 1AA"),
    S("en-GB", "photo", "fuel", "Moorland Fuels Ltd", "Okehampton Road", "Exeter EX4 1AA"),
    S("en-CA", "photo", "net2", "Prairie Hardware", "1200 Albert St", "Regina, SK S4R 2R4"),
    S("en-AU", "photo", "incl", "Byron Bay Juice Bar", "8 Jonson St", "Byron Bay NSW 2481"),
]

# The eighth batch (tuning only), added at stop 41: on the parts not tuned on, blurred and faded
# photos read worst (held apart 79 % and 86 %, unseen 69 % and 78 %). Like the third batch these
# lay blur or fading under other damage, over every locale and tax scheme, so such failures can be
# studied on tuning receipts.
EIGHTH = [
    S("de-DE", "photo", "gross1", "Gasthaus Zum Hirschen", "Kirchgasse 6", "79539 Lörrach",
      dist=P + ["perspective", "shadow", "blur"]),
    S("de-DE", "photo", "gross2", "Getränkemarkt Adler", "Industriestraße 21", "89073 Ulm",
      dist=P + ["shadow", "faded"]),
    S("de-DE", "photo", "taxi", "Taxi Genossenschaft Bonn", "Am Hauptbahnhof 1", "53111 Bonn",
      dist=P + ["crumpled", "faded"]),
    S("de-DE", "photo", "fuel", "Tankstelle Weber", "Bundesstraße 9", "37073 Göttingen",
      dist=P + ["perspective", "blur"]),
    S("de-DE", "photo", "incl", "Eiscafé Venezia", "Königstraße 30", "70173 Stuttgart",
      dist=P + ["shadow", "crumpled", "blur"]),
    S("de-CH", "photo", "gross1", "Bäckerei Hug", "Weggisgasse 15", "6004 Luzern",
      dist=P + ["perspective", "shadow", "faded"]),
    S("de-CH", "photo", "incl", "Restaurant Rössli", "Dorfplatz 1", "6390 Engelberg",
      dist=P + ["shadow", "blur"]),
    S("fr-FR", "photo", "gross1", "Brasserie du Vieux Port", "9 quai du Port", "13002 Marseille",
      dist=P + ["perspective", "faded"]),
    S("fr-FR", "photo", "gross2", "Primeur Laurent", "4 rue Saint-Jean", "69005 Lyon",
      dist=P + ["shadow", "crumpled", "blur"]),
    S("fr-FR", "photo", "fuel", "Station Relais des Landes", "Route de Bayonne", "40100 Dax",
      dist=P + ["perspective", "shadow", "faded"]),
    S("it-IT", "photo", "gross2", "Alimentari Rossi", "Via Garibaldi 22", "10122 Torino",
      dist=P + ["perspective", "shadow", "blur"]),
    S("it-IT", "photo", "taxi", "Radio Taxi Bologna", "Piazza Maggiore 1", "40124 Bologna",
      dist=P + ["shadow", "faded"]),
    S("es-ES", "photo", "incl", "Cervecería La Ribera", "Paseo de Gracia 30", "08007 Barcelona",
      dist=P + ["perspective", "faded"]),
    S("es-ES", "photo", "fuel", "Gasolinera Los Pinos", "Carretera N-340 km 12", "11380 Tarifa",
      dist=P + ["crumpled", "shadow", "blur"]),
    S("nl-NL", "photo", "gross2", "Kaashandel Van Dijk", "Markt 8", "2801 JE Gouda",
      dist=P + ["perspective", "shadow", "faded"]),
    S("nl-NL", "photo", "taxi", "Taxicentrale Utrecht", "Stationsplein 5", "3511 ED Utrecht",
      dist=P + ["shadow", "blur"]),
    S("sv-SE", "photo", "incl", "Restaurang Skeppet", "Hamngatan 4", "411 14 Göteborg",
      dist=P + ["perspective", "shadow", "blur"]),
    S("sv-SE", "photo", "taxi", "Taxi Umeå Centrum", "Rådhustorget 2", "903 26 Umeå",
      dist=P + ["crumpled", "faded"]),
    S("da-DK", "photo", "gross2", "Bageriet Ørsted", "Jernbanegade 7", "5000 Odense C",
      dist=P + ["shadow", "blur"]),
    S("da-DK", "photo", "incl", "Café Strandvejen", "Strandvejen 100", "2900 Hellerup",
      dist=P + ["perspective", "faded"]),
    S("ja-JP", "photo", "gross1", "喫茶みなと", "横浜市中区山下町3", "TEL 045-555-0121",
      dist=P + ["perspective", "shadow", "blur"]),
    S("ja-JP", "photo", "taxi", "つばめ交通", "福岡市博多区博多駅前1-1", "TEL 092-555-0147",
      dist=P + ["shadow", "faded"]),
    S("en-US", "photo", "tip", "Bayou Smokehouse", "400 Decatur St", "New Orleans, LA 70130",
      dist=P + ["shadow", "crumpled", "blur"]),
    S("en-US", "photo", "fuel", "Prairie Stop Fuel", "2100 I-80 Exit 312", "Lincoln, NE 68524",
      dist=P + ["perspective", "faded"]),
    S("en-US", "photo", "parking", "Union Square Parking", "333 Post St", "San Francisco, CA 94108",
      dist=P + ["shadow", "blur"]),
    S("en-GB", "photo", "gross2", "Highland Larder", "22 Union Street", "Inverness IV1 1PL",
      dist=P + ["perspective", "shadow", "blur"]),
    S("en-GB", "photo", "taxi", "Cardiff Cabs Ltd", "Central Square", "Cardiff CF10 1EP",
      dist=P + ["shadow", "faded"]),
    S("en-CA", "photo", "gross1", "Okanagan Fruit Stand", "3400 Lakeshore Rd", "Kelowna, BC V1W 3S9",
      dist=P + ["perspective", "crumpled", "faded"]),
    S("en-AU", "photo", "service", "Darwin Waterfront Grill", "7 Kitchener Dr", "Darwin NT 0800",
      dist=P + ["shadow", "blur"]),
    S("en-AU", "photo", "gross2", "Hobart Wharf Provisions", "Elizabeth St Pier", "Hobart TAS 7000",
      dist=P + ["perspective", "shadow", "faded"]),
]

# ------------------------------------------------------------------ drawing


def render(rows: list, font: str, size: int, width: int, ink: int = 20) -> Image.Image:
    """Rows on white paper, grayscale."""
    regular = ImageFont.truetype(font_file(font, False), size)
    bold = ImageFont.truetype(font_file(font, True), int(size * 1.2))
    margin = max(28, width // 20)
    line_h = int(size * 1.5)
    img = Image.new("L", (width, margin * 2 + line_h * (len(rows) + 1)), 255)
    d = ImageDraw.Draw(img)
    y = margin
    for row in rows:
        kind = row[0]
        if kind in ("c", "b"):
            f = bold if kind == "b" else regular
            d.text(((width - d.textlength(row[1], font=f)) / 2, y), row[1], font=f, fill=ink)
        elif kind == "l":
            d.text((margin, y), row[1], font=regular, fill=ink)
        elif kind == "lr":
            d.text((margin, y), row[1], font=regular, fill=ink)
            d.text((width - margin - d.textlength(row[2], font=regular), y), row[2], font=regular, fill=ink)
        elif kind == "t":
            cells = row[1]
            fill = min(255, ink + 150) if row[2:] == ("faint",) else ink
            d.text((margin, y), cells[0], font=regular, fill=fill)
            span = (width - 2 * margin) * 0.55 / max(1, len(cells) - 1)
            for i, cell in enumerate(cells[1:], start=1):
                right = width - margin - (len(cells) - 1 - i) * span
                d.text((right - d.textlength(cell, font=regular), y), cell, font=regular, fill=fill)
        elif kind == "rule":
            for x in range(margin, width - margin, 12):
                d.line([(x, y + line_h // 2), (x + 6, y + line_h // 2)], fill=min(255, ink + 80), width=2)
        y += line_h
    return img


def solve(a: list, b: list) -> list:
    """Gaussian elimination for the 8x8 perspective system."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def perspective(img: Image.Image, rng: random.Random, fill) -> Image.Image:
    """As if the phone were tilted: one edge nearer than the other."""
    w, h = img.size
    k = rng.uniform(0.06, 0.14)
    side = rng.choice(["top", "left", "right"])
    dst = {"top": [(w * k, h * k * 0.4), (w * (1 - k), h * k * 0.3), (w, h), (0, h)],
           "left": [(0, 0), (w, h * k * 0.5), (w, h * (1 - k * 0.5)), (0, h)],
           "right": [(0, h * k * 0.5), (w, 0), (w, h), (0, h * (1 - k * 0.5))]}[side]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return img.transform(img.size, Image.Transform.PERSPECTIVE, solve(a, b),
                         Image.Resampling.BICUBIC, fillcolor=fill)


class Crumple:
    """A mesh deformer: paper that was folded in a pocket."""

    def __init__(self, rng: random.Random, amp: float) -> None:
        self.rng, self.amp = rng, amp

    def getmesh(self, img):
        w, h = img.size
        step = 60
        xs, ys = range(0, w, step), range(0, h, step)
        jit = {(x, y): (self.rng.uniform(-self.amp, self.amp), self.rng.uniform(-self.amp, self.amp))
               for x in list(xs) + [w] for y in list(ys) + [h]}
        mesh = []
        for x in xs:
            for y in ys:
                x1, y1 = min(x + step, w), min(y + step, h)
                quad = []
                for px, py in ((x, y), (x, y1), (x1, y1), (x1, y)):
                    jx, jy = jit.get((px, py), (0, 0))
                    if px in (0, w) or py in (0, h):
                        jx = jy = 0
                    quad += [px + jx, py + jy]
                mesh.append(((x, y, x1, y1), quad))
        return mesh


def crumple(paper: Image.Image, rng: random.Random) -> Image.Image:
    paper = ImageOps.deform(paper, Crumple(rng, 3.0))
    shade = Image.new("L", paper.size, 255)
    d = ImageDraw.Draw(shade)
    for _ in range(rng.randint(3, 6)):
        y0, y1 = rng.randint(0, paper.height), rng.randint(0, paper.height)
        d.line([(0, y0), (paper.width, y1)], fill=rng.randint(170, 215), width=rng.randint(2, 5))
    shade = shade.filter(ImageFilter.GaussianBlur(3))
    return Image.composite(paper, Image.new("L", paper.size, 0), shade).point(lambda v: min(255, v + 6))


def table(size: tuple, rng: random.Random) -> Image.Image:
    base = rng.choice([(120, 92, 66), (168, 140, 110), (72, 74, 80), (190, 186, 178), (96, 70, 52)])
    img = Image.new("RGB", size, base)
    d = ImageDraw.Draw(img)
    for y in range(0, size[1], 7):  # wood grain / fabric lines
        shift = rng.randint(-14, 14)
        d.line([(0, y), (size[0], y + rng.randint(-3, 3))], fill=tuple(max(0, c + shift) for c in base), width=4)
    return img.filter(ImageFilter.GaussianBlur(2))


def shadow(photo: Image.Image, rng: random.Random) -> Image.Image:
    w, h = photo.size
    mask = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(mask)
    dark = rng.randint(95, 160)
    corner = rng.choice([(0, 0), (w, 0), (0, h), (w, h)])
    r = rng.uniform(0.5, 0.9) * max(w, h)
    d.ellipse([corner[0] - r, corner[1] - r * 0.7, corner[0] + r, corner[1] + r * 0.7], fill=dark)
    mask = mask.filter(ImageFilter.GaussianBlur(max(w, h) / 12))
    return Image.composite(photo, Image.new("RGB", (w, h), (0, 0, 0)), mask.point(lambda v: v))


def noisy(img: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    return Image.merge(img.mode, [add_noise(c, sigma, rng) for c in img.split()])


def as_photo(paper: Image.Image, rng: random.Random, dist: list) -> Image.Image:
    if "crumpled" in dist:
        paper = crumple(paper, rng)
    if "faded" in dist:
        rgb = ImageOps.colorize(paper, black=(150, 140, 128), white=(240, 236, 226))
    else:
        rgb = ImageOps.colorize(paper, black=(25, 25, 30), white=(250, 248, 242))
    mx, my = rng.randint(50, 150), rng.randint(50, 150)
    canvas = table((paper.width + 2 * mx, paper.height + 2 * my), rng)
    angle = rng.choice([-1, 1]) * rng.uniform(1.0, 6.0)
    rgba = rgb.convert("RGBA").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    canvas.paste(rgba, (mx - (rgba.width - paper.width) // 2, my - (rgba.height - paper.height) // 2), rgba)
    if "perspective" in dist:
        canvas = perspective(canvas, rng, canvas.getpixel((2, 2)))
    if "shadow" in dist:
        canvas = shadow(canvas, rng)
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(1.3, 1.9) if "blur" in dist else 0.5))
    canvas = noisy(canvas, rng.uniform(3, 6), rng)
    turn = next((t for t in ("rot90", "rot180", "rot270") if t in dist), None)
    if turn:
        canvas = canvas.transpose({"rot90": Image.Transpose.ROTATE_90, "rot180": Image.Transpose.ROTATE_180,
                                   "rot270": Image.Transpose.ROTATE_270}[turn])
    return canvas


def jpeg(img: Image.Image, quality: int) -> bytes:
    while True:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True)  # no EXIF at all
        if buf.tell() <= MAX_BYTES or quality <= 35:
            return buf.getvalue()
        quality -= 5


def scan(paper: Image.Image, rng: random.Random, upside_down: bool) -> Image.Image:
    page = Image.new("L", (paper.width + 80, paper.height + 80), 232)
    tilted = paper.rotate(rng.uniform(-1.8, 1.8), expand=True, fillcolor=232, resample=Image.Resampling.BICUBIC)
    page.paste(tilted, (40 - (tilted.width - paper.width) // 2, 40 - (tilted.height - paper.height) // 2))
    page = add_noise(page.filter(ImageFilter.GaussianBlur(0.6)), 4.0, rng)
    return page.rotate(180) if upside_down else page


def image_pdf(img: Image.Image, quality: int) -> bytes:
    data = jpeg(img, quality)
    pdf = FPDF(format=(img.width * 0.254 * 0.8, img.height * 0.254 * 0.8), unit="mm")
    pdf.set_creation_date(datetime(2024, 1, 1))
    pdf.add_page()
    pdf.image(io.BytesIO(data), x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def text_pdf(rows: list, font: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2024, 1, 1))
    pdf.set_auto_page_break(False)
    pdf.add_font("Body", "", font_file(font, False))
    pdf.add_font("Body", "B", font_file(font, True))
    pdf.add_page()
    width = pdf.w - 40
    pdf.set_xy(20, 20)
    for row in rows:
        kind = row[0]
        pdf.set_font("Body", "B" if kind == "b" else "", 14 if kind == "b" else 10)
        if kind in ("b", "c", "l"):
            pdf.cell(width, 8 if kind == "b" else 6, row[1], new_x="LMARGIN", new_y="NEXT")
        elif kind == "lr":
            pdf.cell(width * 0.6, 6, row[1])
            pdf.cell(width * 0.4, 6, row[2], align="R", new_x="LMARGIN", new_y="NEXT")
        elif kind == "t":
            cells = row[1]
            first = width * 0.55
            pdf.cell(first, 6, cells[0])
            for cell in cells[1:]:
                pdf.cell((width - first) / (len(cells) - 1), 6, cell, align="R")
            pdf.ln(6)
        elif kind == "rule":
            pdf.line(20, pdf.get_y() + 2, pdf.w - 20, pdf.get_y() + 2)
            pdf.ln(4)
        elif kind == "gap":
            pdf.ln(5)
    return bytes(pdf.output())


# --------------------------------------------------------------------- main


def distortions(photo_index: int) -> list:
    """A fixed cycle, so every kind of damage appears several times."""
    j = photo_index
    out = ["table", "skew"]
    if j % 2 == 0:
        out.append("perspective")
    if j % 3 != 1:
        out.append("shadow")
    if j % 4 == 1:
        out.append("blur")
    if j % 5 in (2, 4):
        out.append("crumpled")
    if j % 5 == 3 or j % 7 == 6:
        out.append("faded")
    if j % 6 == 5:
        out.append(["rot90", "rot180", "rot270"][(j // 6) % 3])
    return out


def split(specs: list) -> list:
    """Per locale, a seeded shuffle; the first half (rounded up) is held apart."""
    rng = random.Random(SPLIT_SEED)
    parts = ["tuning"] * len(specs)
    for key in sorted({s.locale for s in specs}):
        idx = [i for i, s in enumerate(specs) if s.locale == key]
        rng.shuffle(idx)
        for i in idx[: (len(idx) + 1) // 2]:
            parts[i] = "held_apart"
    return parts


def split_second(specs: list) -> list:
    """The second batch: per locale, a seeded shuffle of BROAD; the first two thirds (rounded up)
    are calibration, the rest tuning. WEAK is tuning."""
    rng = random.Random(SECOND_SPLIT_SEED)
    parts = ["tuning"] * len(specs)
    for key in sorted({s.locale for s in BROAD}):
        idx = [i for i, s in enumerate(BROAD) if s.locale == key]
        rng.shuffle(idx)
        for i in idx[: (2 * len(idx) + 2) // 3]:
            parts[i] = "calibration"
    return parts


def slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    keep = "".join(c.lower() if c.isalnum() else "_" for c in ascii_)
    return "_".join(p for p in keep.split("_") if p)[:28] or "receipt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE)
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    # Both batches in one numbering; each receipt has its own seed (16_000 + i in the first
    # batch, 17_000 + k in the second, 18_000 + k in the third, 19_000 + k in the fourth, 20_000 + k
    # in the fifth, 21_000 + k in the sixth, 22_000 + k in the seventh, 23_000 + k in the eighth), so a later
    # batch never changes an earlier one.
    receipts = [(i, spec, part, 16_000 + i) for i, (spec, part) in enumerate(zip(SPECS, split(SPECS)))]
    receipts += [(len(SPECS) + k, spec, part, 17_000 + k)
                 for k, (spec, part) in enumerate(zip(SECOND, split_second(SECOND)))]
    receipts += [(len(SPECS) + len(SECOND) + k, spec, "tuning", 18_000 + k) for k, spec in enumerate(THIRD)]
    first_fourth = len(SPECS) + len(SECOND) + len(THIRD)
    receipts += [(first_fourth + k, spec, "tuning", 19_000 + k) for k, spec in enumerate(FOURTH)]
    first_fifth = first_fourth + len(FOURTH)
    receipts += [(first_fifth + k, spec, "unseen", 20_000 + k) for k, spec in enumerate(FIFTH)]
    first_sixth = first_fifth + len(FIFTH)
    receipts += [(first_sixth + k, spec, "tuning", 21_000 + k) for k, spec in enumerate(SIXTH)]
    first_seventh = first_sixth + len(SIXTH)
    receipts += [(first_seventh + k, spec, "unseen_2", 22_000 + k) for k, spec in enumerate(SEVENTH)]
    first_eighth = first_seventh + len(SEVENTH)
    receipts += [(first_eighth + k, spec, "tuning", 23_000 + k) for k, spec in enumerate(EIGHTH)]
    manifest = []
    photos = 0
    for i, spec, part, seed in receipts:
        rng = random.Random(seed)
        loc = LOCALES[spec.locale]
        built = build(spec, rng, style=i)
        font = loc.fonts[i % len(loc.fonts)]
        dist: list = []
        name = f"{i + 1:02d}_{spec.locale.lower()}_{slug(spec.supplier) if loc.lang != 'ja' else spec.form}"
        if spec.form == "einvoice":
            file = f"{name}.pdf"
            data = text_pdf(built.rows, "jp" if loc.lang == "ja" else ["sans", "serif", "mono"][i % 3])
        elif spec.form == "scan":
            file = f"{name}.pdf"
            width = 1100 if built.invoice else rng.randint(560, 660)
            paper = render(built.rows, font, 24 if built.invoice else rng.randint(22, 26), width)
            upside = i % 4 == 0
            dist = ["skew", "scanner noise"] + (["rot180"] if upside else [])
            data = image_pdf(scan(paper, rng, upside), 60)
        else:
            file = f"{name}.jpg"
            dist = spec.dist if spec.dist is not None else distortions(photos)
            photos += 1
            ink = rng.randint(40, 70) if "faded" in dist else 20
            paper = render(built.rows, font, rng.randint(22, 27), rng.randint(560, 680), ink)
            img = as_photo(paper, rng, dist)
            if max(img.size) > 1600:
                scale = 1600 / max(img.size)
                img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
            data = jpeg(img, 72)
        (out / file).write_bytes(data)
        assert len(data) <= MAX_BYTES, (file, len(data))
        t = built.truth
        money = loc.money
        manifest.append({
            "file": file,
            "kind": "pdf" if file.endswith(".pdf") else "jpeg",
            "form": spec.form,
            "scanned": spec.form == "scan",
            "part": part,
            "locale": spec.locale,
            "language": loc.lang,
            "supplier": spec.supplier,
            "expense_date": t["expense_date"].isoformat(),
            "net": money(t["net"]).replace(loc.thousands, "").replace(loc.dec, "."),
            "tax": money(t["tax"]).replace(loc.thousands, "").replace(loc.dec, "."),
            "total": money(t["total"]).replace(loc.thousands, "").replace(loc.dec, "."),
            "currency": loc.currency,
            "tax_rate": t["tax_rate"],
            "tip": money(t["tip"]).replace(loc.thousands, "").replace(loc.dec, ".") if t["tip"] else "",
            "vat_included": t["vat_included"],
            "distortions": dist,
            "note": built.note + ("; one row of the VAT table printed faintly" if spec.faint is not None else ""),
        })
        print(f"{part:11} {file:48} {len(data):>7} bytes  {' '.join(dist)}")
    check_split(manifest[: len(SPECS)])
    check_second(manifest[len(SPECS): len(SPECS) + len(SECOND)])
    check_fifth(manifest[first_fifth:first_sixth])
    check_fifth(manifest[first_seventh:first_eighth], part="unseen_2")
    (out / "manifest.json").write_text(json.dumps({
        "generator": "generate.py",
        "split": f"per locale, random.Random({SPLIT_SEED}) shuffle; first half (rounded up) held apart",
        "second_batch": f"receipts {len(SPECS) + 1}-{len(SPECS) + len(SECOND)}: the broad ones per locale, "
                        f"random.Random({SECOND_SPLIT_SEED}) shuffle, first two thirds (rounded up) "
                        "calibration, the rest tuning; the weak-kind ones tuning",
        "third_batch": f"receipts {len(SPECS) + len(SECOND) + 1}-{len(SPECS) + len(SECOND) + len(THIRD)}: "
                       "faded or blurred photos with shadow, perspective or crumpling; all tuning",
        "fourth_batch": f"receipts {first_fourth + 1}-{first_fifth}: the ordinary mix "
                        "of photos, scans and e-invoices over every locale and tax scheme; all tuning",
        "fifth_batch": f"receipts {first_fifth + 1}-{first_sixth}: drawn like the first batch, part unseen, "
                       "measured once after the suggester's last change at stop 38",
        "sixth_batch": f"receipts {first_sixth + 1}-{first_seventh}: drawn like the fifth batch; all tuning",
        "seventh_batch": f"receipts {first_seventh + 1}-{first_eighth}: drawn like the fifth batch, part unseen_2, "
                         "generated at stop 40 before any measurement of it",
        "eighth_batch": f"receipts {first_eighth + 1}-{len(manifest)}: blurred or faded photos under other "
                        "damage, every locale and tax scheme; all tuning",
        "receipts": manifest,
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    total = sum((out / r["file"]).stat().st_size for r in manifest)
    print(f"manifest.json: {len(manifest)} receipts, {total / 1e6:.2f} MB")


def check_split(manifest: list) -> None:
    held = [r for r in manifest if r["part"] == "held_apart"]
    assert len(held) >= 30, len(held)
    for key in ("currency", "language", "form"):
        missing = {r[key] for r in manifest} - {r[key] for r in held}
        assert not missing, f"held-apart part lacks {key} {missing}"
    kinds = {d for r in held for d in r["distortions"]}
    for d in ("perspective", "shadow", "blur", "crumpled", "faded"):
        assert d in kinds, f"held-apart part lacks {d}"
    assert any(d.startswith("rot") for d in kinds)


def check_fifth(manifest: list, part: str = "unseen") -> None:
    """An unseen batch is as broad as the held-apart part: every currency, language, form and damage."""
    assert {r["part"] for r in manifest} == {part}
    for key, want in (("currency", 9), ("language", 9), ("form", 3)):
        assert len({r[key] for r in manifest}) >= want, (key, {r[key] for r in manifest})
    kinds = {d for r in manifest for d in r["distortions"]}
    for d in ("perspective", "shadow", "blur", "crumpled", "faded"):
        assert d in kinds, f"{part} part lacks {d}"
    assert any(d.startswith("rot") for d in kinds)


def check_second(manifest: list) -> None:
    """The second batch is only tuning or calibration, and calibration is as broad as held_apart."""
    assert {r["part"] for r in manifest} == {"tuning", "calibration"}
    cal = [r for r in manifest if r["part"] == "calibration"]
    assert len(cal) >= 30, len(cal)
    broad = manifest[: len(BROAD)]
    for key in ("currency", "language", "form"):
        missing = {r[key] for r in broad} - {r[key] for r in cal}
        assert not missing, f"calibration part lacks {key} {missing}"
    kinds = {d for r in cal for d in r["distortions"]}
    for d in ("perspective", "shadow", "blur", "crumpled", "faded"):
        assert d in kinds, f"calibration part lacks {d}"


if __name__ == "__main__":
    main()
