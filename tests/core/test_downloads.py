"""Download names: the reader's words, Asia/Shanghai wall time, and an RFC 6266
header carrying both an ASCII filename and the real one as RFC 5987 filename*."""

import datetime as dt
import re
from urllib.parse import unquote

import pytest
import time_machine
from django.http import HttpResponse

from core import downloads


def names_in(header: str) -> tuple[str, str]:
    """(ASCII filename, decoded filename*) of a Content-Disposition header."""
    assert header.startswith("attachment; ")
    plain = re.search(r'filename="([^"]*)"', header).group(1)
    star = re.search(r"filename\*=UTF-8''([^;]*)", header).group(1)
    return plain, unquote(star, encoding="utf-8", errors="strict")


def test_the_stamp_is_shanghai_wall_time():
    assert downloads.stamp(dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)) == "20261201-0930"
    # 17:00 UTC is already the next day in Shanghai.
    assert downloads.stamp(dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC),
                           minutes=False) == "20261202"
    with time_machine.travel(dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC), tick=False):
        assert downloads.stamp() == "20261201-0930"


def test_a_name_joins_its_parts_and_drops_what_no_file_system_takes():
    assert downloads.file_name("报送及时情况表", "示例区教育和体育局", "20261201-0930",
                               ext="xlsx") == "报送及时情况表_示例区教育和体育局_20261201-0930.xlsx"
    assert downloads.file_name('a/b\\c:d*e?"f"<g>|h\x00i', "",
                               ext="xlsx") == "a_b_c_d_e_f_g_h_i.xlsx"
    assert len(downloads.file_name("长" * 500, ext="xlsx")) == downloads.MAX_PART + 5
    with pytest.raises(ValueError, match="non-empty"):
        downloads.file_name("", " ", ext="xlsx")


def test_the_fallback_is_plain_ascii():
    assert downloads.ascii_name("timeliness_QX-01_20261201-0930.xlsx") == \
        "timeliness_QX-01_20261201-0930.xlsx"
    assert downloads.ascii_name('通报_"x";\r\n.xlsx') == "x.xlsx"
    assert downloads.ascii_name("审计.xlsx") == "download.xlsx"


def test_the_header_carries_both_names():
    response = downloads.attachment(HttpResponse(), "通报_示例区 教体局_20260513.xlsx",
                                    fallback="tongbao_QX_20260513.xlsx")
    header = response["Content-Disposition"]
    header.encode("ascii")  # a header is ASCII: the real name travels percent-encoded
    assert names_in(header) == ("tongbao_QX_20260513.xlsx", "通报_示例区 教体局_20260513.xlsx")
    assert "%20" in header  # RFC 5987 attr-chars only
