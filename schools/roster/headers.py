"""Which roster field a column heading means.

Schools upload our template, exports of the national 学籍系统 (全国中小学生学籍信
息管理系统) and rosters typed by hand, so one field has many headings: 学籍号,
全国学籍号, 个人标识码 … all mean `student_number`. `field_for` maps a heading
(after `normalise_header`) to a FIELDS name from roster.table, or None.

A two-level heading arrives joined with "/" ("监护人信息/姓名", "第二监护人/联系
电话"): a guardian parent puts the child heading into that guardian's slot; any
other parent ("学生基本信息/姓名") is a group label and the child decides.

Guardian slots: 监护人 / 监护人1 / 第一监护人 / 家长 / 父亲 / the 学籍系统's 成员1
→ slot 1; 监护人2 / 第二监护人 / 母亲 / 成员2 → slot 2 (a roster with both
父亲姓名 and 母亲姓名 keeps them apart; which parent is which is for the
relationship column to say).
"""

from __future__ import annotations

import re
import unicodedata

from schools.roster.table import FIELDS, TEMPLATE_COLUMNS

# Zero-width characters, BOM, soft hyphen, word joiner, and every kind of space.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\u3000\u00a0\\s]")
# Required-field markers and label punctuation people put around a heading.
_EDGE_MARKS = re.compile(r"^[*※★#]+|[:：*※★]+$")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>|〔[^〕]*〕")

# Pupil fields: every heading a school roster may carry, best first (when two
# columns map to the same field, the better heading wins and the other column
# is ignored).
_PUPIL_ALIASES: dict[str, tuple[str, ...]] = {
    "student_number": ("学籍号", "全国学籍号", "全国学籍号码", "学籍号码", "学生学籍号",
                       "国家学籍号", "个人标识码", "学籍辅号"),
    "name": ("姓名", "学生姓名", "学生名字", "名字", "幼儿姓名", "儿童姓名"),
    "gender": ("性别", "学生性别"),
    "date_of_birth": ("出生日期", "出生年月", "出生年月日", "生日", "出生时间"),
    "id_number": ("身份证号", "身份证号码", "身份证件号", "身份证件号码", "证件号码",
                  "证件号", "公民身份号码", "公民身份证号", "学生身份证号", "身份证"),
    "grade": ("年级", "所在年级", "年级名称", "当前年级"),
    "class_number": ("班级", "班号", "所在班级", "班", "班级号", "班级编号", "班次"),
    "class_name": ("年级班级", "年级及班级", "年级和班级", "班级名称", "所在年级班级",
                   "年级/班级"),
    "status": ("学籍状态", "在校状态", "学生状态", "在籍状态", "就读状态", "状态"),
    "boarder": ("是否住校", "住宿情况", "寄宿", "是否寄宿", "是否住宿", "住校",
                "住宿", "是否寄宿生", "寄宿生", "是否住校生", "住校生", "住宿方式",
                "就读方式"),
    "home_area": ("家庭所在村(社区)", "家庭所在村", "所在村(社区)", "所在村", "村(社区)",
                  "家庭住址", "现住址", "家庭地址", "住址", "居住地", "居住地址",
                  "现居住地", "村组", "所在村组", "户籍所在地", "户口所在地", "户籍地",
                  "户籍地址"),
}
# Guardian subfields, as the part of a heading after the guardian word
# ("监护人1" + "联系电话"), best first. "" is the guardian's name ("监护人").
_GUARDIAN_PARTS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "", "名字", "名称"),
    "relationship": ("关系", "与学生关系", "与学生的关系", "与本人关系", "与儿童关系",
                     "与幼儿关系", "身份", "称谓"),
    "phone": ("电话", "联系电话", "手机", "手机号", "手机号码", "电话号码",
              "联系方式", "联系电话号码", "联系手机"),
    "lives_with_child": ("是否共同生活", "是否与学生共同生活", "共同生活",
                         "是否与孩子共同生活", "是否同住", "是否与学生同住"),
    "works_away": ("是否外出务工", "外出务工", "是否务工", "是否外出"),
    "works_away_place": ("务工地点", "外出务工地点", "务工地", "务工地址", "外出地点"),
}
# Headings that mean a guardian field without naming a guardian: slot 1.
_BARE_GUARDIAN: dict[str, tuple[str, ...]] = {
    "name": ("联系人", "联系人姓名", "紧急联系人"),
    "relationship": ("与学生关系", "与学生的关系", "关系", "监护关系", "家长关系"),
    "phone": ("联系电话", "手机号码", "手机号", "家长电话", "家长手机", "家长联系电话",
              "家庭电话", "电话", "手机", "联系方式", "家长联系方式", "监护人电话",
              "监护人手机", "联系人电话", "联系人手机", "紧急联系电话"),
    "lives_with_child": ("是否共同生活", "是否与父母共同生活", "是否与监护人共同生活"),
    "works_away": ("是否外出务工", "父母是否外出务工", "家长是否外出务工", "外出务工"),
    "works_away_place": ("务工地点", "外出务工地点", "务工地"),
}
# The guardian word at the start of a heading, and the slot it means.
_GUARDIAN_PREFIX = re.compile(
    r"^(?:"
    r"(?P<second>第二监护人|监护人2|监护人二|监护人\(2\)|第2监护人|家长2|家长二|母亲"
    r"|家庭成员或监护人2|家庭成员2|成员2)"
    r"|(?P<first>第一监护人|监护人1|监护人一|监护人\(1\)|第1监护人|主要监护人|监护人"
    r"|家长1|家长一|家长|父亲|家庭成员或监护人1|家庭成员1|成员1)"
    r")(?:信息|情况)?")


def normalise_header(text: object) -> str:
    """A heading as we compare it: NFKC (full-width brackets and digits to
    ASCII), no invisible characters or spaces anywhere, no leading */※ or
    trailing ：/*: " 学籍号（必填）*：\u200b" → "学籍号(必填)"."""
    if text is None:
        return ""
    s = _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(text)))
    previous = None
    while previous != s:
        previous = s
        s = _EDGE_MARKS.sub("", s)
    return s


def _lookup() -> dict[str, tuple[str, int]]:
    """alias → (field, rank); lower rank is the better heading."""
    table: dict[str, tuple[str, int]] = {}

    def put(alias: str, field: str, rank: int) -> None:
        key = normalise_header(alias)
        if key and key not in table:
            table[key] = (field, rank)

    for field, heading in TEMPLATE_COLUMNS:
        put(heading, field, 0)
    for field, aliases in _PUPIL_ALIASES.items():
        for rank, alias in enumerate(aliases, start=1):
            put(alias, field, rank)
    for part, aliases in _GUARDIAN_PARTS.items():
        for rank, alias in enumerate(aliases, start=1):
            for slot, words in ((1, ("监护人1", "监护人", "第一监护人", "家长", "家长1",
                                     "父亲")),
                                (2, ("监护人2", "第二监护人", "家长2", "母亲"))):
                for w_rank, word in enumerate(words):
                    put(word + alias, f"guardian{slot}_{part}", rank + w_rank)
    for part, aliases in _BARE_GUARDIAN.items():
        for rank, alias in enumerate(aliases, start=20):
            put(alias, f"guardian1_{part}", rank)
    return table


_LOOKUP = _lookup()
assert {f for f, _ in _LOOKUP.values()} <= set(FIELDS)


def match(header_text: object) -> tuple[str, int] | None:
    """(field, rank) for a heading, or None; rank orders competing headings
    for one field (0 = our template's own heading). See `field_for`."""
    text = normalise_header(header_text)
    if not text:
        return None
    if "/" in text and text not in _LOOKUP:
        parent, _, child = text.rpartition("/")
        return _match_two_level(parent, child)
    return _match_one(text)


def _match_one(text: str) -> tuple[str, int] | None:
    found = _LOOKUP.get(text)
    if found:
        return found
    bare = _PARENTHESES.sub("", text)
    if bare != text and bare:
        found = _LOOKUP.get(bare)
        if found:
            return found[0], found[1] + 50
    guardian = _GUARDIAN_PREFIX.match(bare)
    if guardian and guardian.end() < len(bare):
        slot = 2 if guardian.group("second") else 1
        rest = bare[guardian.end():]
        rest = rest.removeprefix("的")
        for part, aliases in _GUARDIAN_PARTS.items():
            if rest in aliases:
                return f"guardian{slot}_{part}", 60 + aliases.index(rest)
    return None


def _match_two_level(parent: str, child: str) -> tuple[str, int] | None:
    parent = _PARENTHESES.sub("", parent)
    guardian = _GUARDIAN_PREFIX.match(parent)
    if guardian:
        slot = 2 if guardian.group("second") else 1
        child_bare = _PARENTHESES.sub("", child)
        for part, aliases in _GUARDIAN_PARTS.items():
            if child_bare in aliases:
                return f"guardian{slot}_{part}", aliases.index(child_bare)
        # "监护人信息/监护人2姓名": the child names its own slot.
        found = _match_one(child)
        if found and found[0].startswith("guardian"):
            return found
        if found and found[0] not in ("name",):
            return found
        return None
    # A group label over ordinary headings ("学生基本信息/姓名"): the child decides.
    return _match_one(child)


def field_for(header_text: str) -> str | None:
    """The FIELDS name a column heading means, or None for a column the
    importer does not use ("序号", "学号", "备注").

    `header_text` is the heading as the file wrote it, two levels joined with
    "/" ("监护人信息/姓名" → "guardian1_name"); it is normalised first
    (`normalise_header`). Source: issue 9 item 3; headings of the 学籍系统
    export and of rosters schools sent in."""
    found = match(header_text)
    return found[0] if found else None
