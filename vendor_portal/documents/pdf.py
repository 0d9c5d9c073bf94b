"""The PDF of a document, made by fpdf2 with a bundled DejaVu Sans (Latin and Cyrillic), so it
installs from PyPI alone. Texts come from the page's translations, in the reader's language."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from vendor_portal.documents.model import Document
from vendor_portal.documents.queries import Requisites
from vendor_portal.pages.i18n import day, gettext, money, number

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"


def title(document: Document) -> str:
    if document.kind == "act":
        return gettext("Delivery act No. %(number)s", number=document.number)
    if document.kind == "prepayment":
        return gettext("Prepayment invoice No. %(number)s", number=document.number)
    return gettext("Invoice No. %(number)s", number=document.number)


def party_lines(party: Requisites) -> list[str]:
    """A party's requisites as the document prints them, only those given."""
    lines = [party.display_name]
    pairs = (
        (gettext("Address"), party.address),
        (gettext("Tax ID"), party.tax_id),
        (gettext("Tax registration reason code"), party.tax_reason_code),
        (gettext("Bank"), party.bank_name),
        (gettext("Bank code"), party.bank_code),
        (gettext("Account"), party.bank_account),
        (gettext("Correspondent account"), party.correspondent_account),
    )
    lines.extend(f"{label}: {value}" for label, value in pairs if value)
    return lines


def vat_line(document: Document) -> str:
    if document.vat_percent <= 0:
        return gettext("VAT is not charged.")
    return gettext(
        "Including VAT %(percent)s %%: %(amount)s",
        percent=document.vat_percent,
        amount=money(document.vat, document.currency),
    )


def render(document: Document) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title(document))
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FAMILY, "B", 15)
    pdf.cell(width, 8, title(document), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(width, 6, gettext("of %(date)s", date=day(document.date, "long")))
    pdf.ln(10)

    for label, party in ((gettext("Seller"), document.seller), (gettext("Buyer"), document.buyer)):
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(width, 6, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(width, 5, "\n".join(party_lines(party)), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    if document.order_number is not None:
        pdf.set_font(FAMILY, "", 10)
        pdf.cell(
            width,
            6,
            gettext("Order No. %(number)s", number=document.order_number),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)

    pdf.set_font(FAMILY, "", 9)
    heading = FontFace(emphasis="BOLD", fill_color=(233, 236, 239))
    with pdf.table(
        col_widths=(8, 92, 22, 34, 34),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=heading,
        line_height=5.5,
    ) as table:
        table.row(
            ["№", gettext("Item"), gettext("Quantity"), gettext("Unit price"), gettext("Amount")]
        )
        for index, line in enumerate(document.lines, start=1):
            table.row(
                [
                    str(index),
                    line.name,
                    number(line.quantity),
                    money(line.unit_price, document.currency),
                    money(line.amount, document.currency),
                ]
            )
    pdf.ln(3)
    pdf.set_font(FAMILY, "", 10)
    if document.discount:
        pdf.cell(
            width,
            6,
            f"{gettext('Subtotal')}: {money(document.subtotal, document.currency)}",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.cell(
            width,
            6,
            f"{gettext('Discount')}: −{money(document.discount, document.currency)}",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(
        width,
        7,
        f"{gettext('Total')}: {money(document.total, document.currency)}",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(width, 6, vat_line(document), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(
        width,
        5,
        gettext("Amount in words: %(words)s.", words=document.words),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for note in document.notes:
        pdf.ln(2)
        pdf.multi_cell(width, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
