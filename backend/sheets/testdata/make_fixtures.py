#!/usr/bin/python3
"""Writes the messy spreadsheets that backend/sheets tests read, with writers other than
excelize: openpyxl (Debian python3-openpyxl) and LibreOffice (soffice --headless).

Run from this directory:  /usr/bin/python3 make_fixtures.py
The files are committed under generated/, so tests and CI need neither program.
What each file must read as is written in the Go tests, not here.
"""
import datetime
import os
import shutil
import subprocess
import tempfile

from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated")
HEAD = ["Email", "First name", "Last name", "Council", "Role", "Member", "Clerk until"]


def fixed(wb):
    # Fixed metadata so that regenerating gives the same content.
    when = datetime.datetime(2024, 1, 1, 0, 0, 0)
    wb.properties.created = when
    wb.properties.modified = when
    wb.properties.creator = "gatehouse fixtures"


def openpyxl_1904():
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Contacts"
    ws.append(HEAD)
    ws.append(["ann@acton.gov.uk", "Ann", "Lee", "Acton PC", "Clerk", "Yes", datetime.date(2024, 3, 31)])
    ws.append(["bob@barton.gov.uk", "Bob", "Ray", "Barton PC", "Clerk", "Yes", datetime.datetime(2030, 12, 1, 15, 30)])
    ws["G2"].number_format = "dd/mm/yyyy"
    ws["G3"].number_format = "yyyy-mm-dd hh:mm"
    fixed(wb)
    wb.save(os.path.join(OUT, "openpyxl_1904.xlsx"))


def openpyxl_messy():
    """A title merged across the columns, a blank row, the header on row 3, texty
    day-first dates, a phone stored as a number, a boolean, a percentage, accents,
    a second sheet and a hidden one."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws["A1"] = "Contacts export — Suffolk councils"
    ws.merge_cells("A1:G1")
    ws.append([])
    ws.append(["E-mail address", "Forename", "Surname", "Organisation", "Position", "Membership", "Role until", "Phone", "Portal access", "Share"])
    ws.append(["renee@acton.gov.uk", "Renée", "O'Brien", "Acton PC", "Clerk until 03/2024", "Yes", "03/04/2024", 441234567890, True, 0.25])
    ws.append(["  Zoë@Barton.gov.uk ", "Zoë", "Smith", "Barton PC", "Chair", "Lapsed", datetime.date(2023, 12, 31), "+44 1234 567890", False, 1])
    ws["G5"].number_format = "d mmm yyyy"
    ws.append(["=HYPERLINK(\"x\")", "Formula", "Looking", "Carlton PC", "Clerk", "No", None, "-5", None, None])
    ws["A6"].data_type = "s"  # text that starts with '=', not a formula
    ws.append(["multi\nline", "Line", "Break", "Dunton PC", "", "", "", "", "", ""])
    ws.merge_cells("D8:E8")
    ws["D8"] = "Merged organisation cell"
    other = wb.create_sheet("Second")
    other.append(["only", "on", "second"])
    hidden = wb.create_sheet("Hidden")
    hidden.sheet_state = "hidden"
    hidden.append(["secret"])
    fixed(wb)
    wb.save(os.path.join(OUT, "openpyxl_messy.xlsx"))


CSV = """Email,First name,Last name,Council,Role,Member,Clerk until
ann@acton.gov.uk,Ann,Lee,Acton PC,Clerk,Yes,31/03/2024
bob@barton.gov.uk,Bob,Ray,Barton PC,Clerk,No,2030-12-01
"Jo Kent <jo@hinton.gov.uk>",Jo,Kent,Hinton PC,Clerk,Yes,
"""


def libreoffice():
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("LibreOffice not found: skipping its fixtures (apt-get install libreoffice-calc-nogui)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "libreoffice.csv")
        with open(src, "w", encoding="utf-8") as f:
            f.write(CSV)
        profile = "file://" + os.path.join(tmp, "profile")
        for target, ext in [("xlsx:Calc MS Excel 2007 XML", "xlsx"), ("ods", "ods"), ("xls:MS Excel 97", "xls")]:
            subprocess.run([soffice, "-env:UserInstallation=" + profile, "--headless", "--infilter=CSV:44,34,76,1,,1033",
                            "--convert-to", target, "--outdir", tmp, src], check=True, capture_output=True, timeout=180)
            shutil.copy(os.path.join(tmp, "libreoffice." + ext), os.path.join(OUT, "libreoffice." + ext))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    openpyxl_1904()
    openpyxl_messy()
    libreoffice()
    print("fixtures written to", OUT)
