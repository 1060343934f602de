"""Every export prints like a 台账 (issue 8 item 8): A4 landscape, one page wide,
the header row and the school column repeated on every page, through the one
helper core.excel.print_setup. Each workbook is saved and read back."""

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from audit.exports import write_audit_workbook
from audit.models import AuditEvent
from core.excel import print_setup
from reporting.exports import write_report_list_workbook, write_timeliness_workbook
from reporting.models import ProgressReport, ReportStatus
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory


def printed(ws, rows="$1:$1", cols="$A:$B"):
    """ws prints landscape on A4, fitted to one page across and as many down as
    needed, repeating `rows` and `cols`."""
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == rows
    assert ws.print_title_cols == cols
    return True


def reread(write) -> Workbook:
    out = BytesIO()
    write(out)
    return load_workbook(BytesIO(out.getvalue()))


@pytest.mark.parametrize("write_only", [True, False])
def test_the_helper_sets_landscape_fit_to_width_and_repeated_titles(write_only):
    def write(out):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet("台账") if write_only else wb.active
        print_setup(ws, title_rows="3:4", title_cols="B:C")
        ws.append(["学校代码", "学校", "状态"])
        wb.save(out)

    assert printed(reread(write).worksheets[0], rows="$3:$4", cols="$B:$C")


def test_the_helper_can_repeat_nothing():
    def write(out):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("s")
        print_setup(ws, title_rows=None, title_cols=None)
        ws.append(["x"])
        wb.save(out)

    ws = reread(write).worksheets[0]
    assert ws.page_setup.orientation == "landscape"
    assert (ws.print_title_rows, ws.print_title_cols) == (None, None)


def test_the_helper_refuses_a_column_range_as_rows():
    ws = Workbook(write_only=True).create_sheet("s")
    with pytest.raises(ValueError, match="not a valid row range"):
        print_setup(ws, title_rows="A:B")


@pytest.mark.django_db
def test_the_timeliness_matrix_repeats_its_header_and_school_columns(world):
    campaign = CampaignFactory(bureau=world.bureau)
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    wb = reread(lambda out: write_timeliness_workbook(
        campaign=campaign, schools=campaign.expected_schools(), out=out))
    matrix, totals = wb.worksheets
    assert printed(matrix)  # school code and name
    assert printed(totals, cols="$A:$A")  # the deadline


@pytest.mark.django_db
def test_the_report_list_repeats_its_header_and_school_columns(world):
    ProgressReportFactory(school=world.school_a, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    wb = reread(lambda out: write_report_list_workbook(
        reports=ProgressReport.objects.all(), out=out))
    assert printed(wb.worksheets[0])


@pytest.mark.django_db
def test_the_audit_log_repeats_its_header_and_time_column(world):
    wb = reread(lambda out: write_audit_workbook(AuditEvent.objects.all(), out))
    assert printed(wb.worksheets[0], cols="$A:$A")
