"""MMSI -> flag state, from the Maritime Identification Digits (MID).

An MMSI is nine digits. Which three of them are the MID depends on its form
(ITU-R M.585):

==================  =====================================  ==============
form                what it identifies                     MID digits
==================  =====================================  ==============
``MIDxxxxxx``       a ship (first digit 2-7)               1-3
``0MIDxxxxx``       a group of ships                       2-4
``00MIDxxxx``       a coast (base) station                 3-5
``111MIDxxx``       a SAR aircraft                         4-6
``8MIDxxxxx``       a handheld VHF with DSC/GNSS           2-4
``98MIDxxxx``       a craft associated with a parent ship  3-5
``99MIDxxxx``       an aid to navigation                   3-5
``970xxyyyy``       AIS-SART                               none
``972xxyyyy``       man-overboard device                   none
``974xxyyyy``       EPIRB-AIS                              none
==================  =====================================  ==============

The table below is the ITU MID list (Table of Maritime Identification Digits) as of
2023: every allocated MID, from 201 (Albania) to 775 (Venezuela), with the ISO 3166-1
alpha-2 code of the country or territory. Where the ITU gives one MID to a group of
territories (306: Curaçao, Sint Maarten and the Caribbean Netherlands) the code of the
largest is used and the name lists them all. Overseas territories with their own MID
(Anguilla, Puerto Rico, Guadeloupe...) get their own code, not the metropole's.

Pure data, no I/O; imports nothing from the monitor. What each form is (its
``MmsiClass``), the flag at the form's MID place, and a vessel's identity built from its
static data are :mod:`monitor.identity.vessel`, which reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MidEntry:
    mid: int
    iso: str
    name: str


# (MID, ISO 3166-1 alpha-2, name) -- ITU MID table
_MID_ROWS: tuple[tuple[int, str, str], ...] = (
    # Europe
    (201, "AL", "Albania"),
    (202, "AD", "Andorra"),
    (203, "AT", "Austria"),
    (204, "PT", "Portugal (Azores)"),
    (205, "BE", "Belgium"),
    (206, "BY", "Belarus"),
    (207, "BG", "Bulgaria"),
    (208, "VA", "Vatican City"),
    (209, "CY", "Cyprus"),
    (210, "CY", "Cyprus"),
    (211, "DE", "Germany"),
    (212, "CY", "Cyprus"),
    (213, "GE", "Georgia"),
    (214, "MD", "Moldova"),
    (215, "MT", "Malta"),
    (216, "AM", "Armenia"),
    (218, "DE", "Germany"),
    (219, "DK", "Denmark"),
    (220, "DK", "Denmark"),
    (224, "ES", "Spain"),
    (225, "ES", "Spain"),
    (226, "FR", "France"),
    (227, "FR", "France"),
    (228, "FR", "France"),
    (229, "MT", "Malta"),
    (230, "FI", "Finland"),
    (231, "FO", "Faroe Islands"),
    (232, "GB", "United Kingdom"),
    (233, "GB", "United Kingdom"),
    (234, "GB", "United Kingdom"),
    (235, "GB", "United Kingdom"),
    (236, "GI", "Gibraltar"),
    (237, "GR", "Greece"),
    (238, "HR", "Croatia"),
    (239, "GR", "Greece"),
    (240, "GR", "Greece"),
    (241, "GR", "Greece"),
    (242, "MA", "Morocco"),
    (243, "HU", "Hungary"),
    (244, "NL", "Netherlands"),
    (245, "NL", "Netherlands"),
    (246, "NL", "Netherlands"),
    (247, "IT", "Italy"),
    (248, "MT", "Malta"),
    (249, "MT", "Malta"),
    (250, "IE", "Ireland"),
    (251, "IS", "Iceland"),
    (252, "LI", "Liechtenstein"),
    (253, "LU", "Luxembourg"),
    (254, "MC", "Monaco"),
    (255, "PT", "Portugal (Madeira)"),
    (256, "MT", "Malta"),
    (257, "NO", "Norway"),
    (258, "NO", "Norway"),
    (259, "NO", "Norway"),
    (261, "PL", "Poland"),
    (262, "ME", "Montenegro"),
    (263, "PT", "Portugal"),
    (264, "RO", "Romania"),
    (265, "SE", "Sweden"),
    (266, "SE", "Sweden"),
    (267, "SK", "Slovakia"),
    (268, "SM", "San Marino"),
    (269, "CH", "Switzerland"),
    (270, "CZ", "Czechia"),
    (271, "TR", "Türkiye"),
    (272, "UA", "Ukraine"),
    (273, "RU", "Russian Federation"),
    (274, "MK", "North Macedonia"),
    (275, "LV", "Latvia"),
    (276, "EE", "Estonia"),
    (277, "LT", "Lithuania"),
    (278, "SI", "Slovenia"),
    (279, "RS", "Serbia"),
    # North and Central America, Caribbean
    (301, "AI", "Anguilla"),
    (303, "US", "United States (Alaska)"),
    (304, "AG", "Antigua and Barbuda"),
    (305, "AG", "Antigua and Barbuda"),
    (306, "CW", "Curaçao, Sint Maarten, Bonaire, Sint Eustatius and Saba"),
    (307, "AW", "Aruba"),
    (308, "BS", "Bahamas"),
    (309, "BS", "Bahamas"),
    (310, "BM", "Bermuda"),
    (311, "BS", "Bahamas"),
    (312, "BZ", "Belize"),
    (314, "BB", "Barbados"),
    (316, "CA", "Canada"),
    (319, "KY", "Cayman Islands"),
    (321, "CR", "Costa Rica"),
    (323, "CU", "Cuba"),
    (325, "DM", "Dominica"),
    (327, "DO", "Dominican Republic"),
    (329, "GP", "Guadeloupe"),
    (330, "GD", "Grenada"),
    (331, "GL", "Greenland"),
    (332, "GT", "Guatemala"),
    (334, "HN", "Honduras"),
    (336, "HT", "Haiti"),
    (338, "US", "United States"),
    (339, "JM", "Jamaica"),
    (341, "KN", "Saint Kitts and Nevis"),
    (343, "LC", "Saint Lucia"),
    (345, "MX", "Mexico"),
    (347, "MQ", "Martinique"),
    (348, "MS", "Montserrat"),
    (350, "NI", "Nicaragua"),
    (351, "PA", "Panama"),
    (352, "PA", "Panama"),
    (353, "PA", "Panama"),
    (354, "PA", "Panama"),
    (355, "PA", "Panama"),
    (356, "PA", "Panama"),
    (357, "PA", "Panama"),
    (358, "PR", "Puerto Rico"),
    (359, "SV", "El Salvador"),
    (361, "PM", "Saint Pierre and Miquelon"),
    (362, "TT", "Trinidad and Tobago"),
    (364, "TC", "Turks and Caicos Islands"),
    (366, "US", "United States"),
    (367, "US", "United States"),
    (368, "US", "United States"),
    (369, "US", "United States"),
    (370, "PA", "Panama"),
    (371, "PA", "Panama"),
    (372, "PA", "Panama"),
    (373, "PA", "Panama"),
    (374, "PA", "Panama"),
    (375, "VC", "Saint Vincent and the Grenadines"),
    (376, "VC", "Saint Vincent and the Grenadines"),
    (377, "VC", "Saint Vincent and the Grenadines"),
    (378, "VG", "British Virgin Islands"),
    (379, "VI", "United States Virgin Islands"),
    # Asia
    (401, "AF", "Afghanistan"),
    (403, "SA", "Saudi Arabia"),
    (405, "BD", "Bangladesh"),
    (408, "BH", "Bahrain"),
    (410, "BT", "Bhutan"),
    (412, "CN", "China"),
    (413, "CN", "China"),
    (414, "CN", "China"),
    (416, "TW", "Taiwan"),
    (417, "LK", "Sri Lanka"),
    (419, "IN", "India"),
    (422, "IR", "Iran"),
    (423, "AZ", "Azerbaijan"),
    (425, "IQ", "Iraq"),
    (428, "IL", "Israel"),
    (431, "JP", "Japan"),
    (432, "JP", "Japan"),
    (434, "TM", "Turkmenistan"),
    (436, "KZ", "Kazakhstan"),
    (437, "UZ", "Uzbekistan"),
    (438, "JO", "Jordan"),
    (440, "KR", "Korea (Republic of)"),
    (441, "KR", "Korea (Republic of)"),
    (443, "PS", "Palestine"),
    (445, "KP", "Korea (Democratic People's Republic of)"),
    (447, "KW", "Kuwait"),
    (450, "LB", "Lebanon"),
    (451, "KG", "Kyrgyzstan"),
    (453, "MO", "Macao"),
    (455, "MV", "Maldives"),
    (457, "MN", "Mongolia"),
    (459, "NP", "Nepal"),
    (461, "OM", "Oman"),
    (463, "PK", "Pakistan"),
    (466, "QA", "Qatar"),
    (468, "SY", "Syria"),
    (470, "AE", "United Arab Emirates"),
    (471, "AE", "United Arab Emirates"),
    (472, "TJ", "Tajikistan"),
    (473, "YE", "Yemen"),
    (475, "YE", "Yemen"),
    (477, "HK", "Hong Kong"),
    (478, "BA", "Bosnia and Herzegovina"),
    # Oceania and South-East Asia
    (501, "TF", "Adélie Land (France)"),
    (503, "AU", "Australia"),
    (506, "MM", "Myanmar"),
    (508, "BN", "Brunei Darussalam"),
    (510, "FM", "Micronesia"),
    (511, "PW", "Palau"),
    (512, "NZ", "New Zealand"),
    (514, "KH", "Cambodia"),
    (515, "KH", "Cambodia"),
    (516, "CX", "Christmas Island"),
    (518, "CK", "Cook Islands"),
    (520, "FJ", "Fiji"),
    (523, "CC", "Cocos (Keeling) Islands"),
    (525, "ID", "Indonesia"),
    (529, "KI", "Kiribati"),
    (531, "LA", "Lao People's Democratic Republic"),
    (533, "MY", "Malaysia"),
    (536, "MP", "Northern Mariana Islands"),
    (538, "MH", "Marshall Islands"),
    (540, "NC", "New Caledonia"),
    (542, "NU", "Niue"),
    (544, "NR", "Nauru"),
    (546, "PF", "French Polynesia"),
    (548, "PH", "Philippines"),
    (550, "TL", "Timor-Leste"),
    (553, "PG", "Papua New Guinea"),
    (555, "PN", "Pitcairn Islands"),
    (557, "SB", "Solomon Islands"),
    (559, "AS", "American Samoa"),
    (561, "WS", "Samoa"),
    (563, "SG", "Singapore"),
    (564, "SG", "Singapore"),
    (565, "SG", "Singapore"),
    (566, "SG", "Singapore"),
    (567, "TH", "Thailand"),
    (570, "TO", "Tonga"),
    (572, "TV", "Tuvalu"),
    (574, "VN", "Viet Nam"),
    (576, "VU", "Vanuatu"),
    (577, "VU", "Vanuatu"),
    (578, "WF", "Wallis and Futuna"),
    # Africa
    (601, "ZA", "South Africa"),
    (603, "AO", "Angola"),
    (605, "DZ", "Algeria"),
    (607, "TF", "Saint Paul and Amsterdam Islands (France)"),
    (608, "SH", "Ascension Island"),
    (609, "BI", "Burundi"),
    (610, "BJ", "Benin"),
    (611, "BW", "Botswana"),
    (612, "CF", "Central African Republic"),
    (613, "CM", "Cameroon"),
    (615, "CG", "Congo"),
    (616, "KM", "Comoros"),
    (617, "CV", "Cabo Verde"),
    (618, "TF", "Crozet Archipelago (France)"),
    (619, "CI", "Côte d'Ivoire"),
    (620, "KM", "Comoros"),
    (621, "DJ", "Djibouti"),
    (622, "EG", "Egypt"),
    (624, "ET", "Ethiopia"),
    (625, "ER", "Eritrea"),
    (626, "GA", "Gabon"),
    (627, "GH", "Ghana"),
    (629, "GM", "Gambia"),
    (630, "GW", "Guinea-Bissau"),
    (631, "GQ", "Equatorial Guinea"),
    (632, "GN", "Guinea"),
    (633, "BF", "Burkina Faso"),
    (634, "KE", "Kenya"),
    (635, "TF", "Kerguelen Islands (France)"),
    (636, "LR", "Liberia"),
    (637, "LR", "Liberia"),
    (638, "SS", "South Sudan"),
    (642, "LY", "Libya"),
    (644, "LS", "Lesotho"),
    (645, "MU", "Mauritius"),
    (647, "MG", "Madagascar"),
    (649, "ML", "Mali"),
    (650, "MZ", "Mozambique"),
    (654, "MR", "Mauritania"),
    (655, "MW", "Malawi"),
    (656, "NE", "Niger"),
    (657, "NG", "Nigeria"),
    (659, "NA", "Namibia"),
    (660, "RE", "Réunion"),
    (661, "RW", "Rwanda"),
    (662, "SD", "Sudan"),
    (663, "SN", "Senegal"),
    (664, "SC", "Seychelles"),
    (665, "SH", "Saint Helena"),
    (666, "SO", "Somalia"),
    (667, "SL", "Sierra Leone"),
    (668, "ST", "Sao Tome and Principe"),
    (669, "SZ", "Eswatini"),
    (670, "TD", "Chad"),
    (671, "TG", "Togo"),
    (672, "TN", "Tunisia"),
    (674, "TZ", "Tanzania"),
    (675, "UG", "Uganda"),
    (676, "CD", "Congo (Democratic Republic of the)"),
    (677, "TZ", "Tanzania"),
    (678, "ZM", "Zambia"),
    (679, "ZW", "Zimbabwe"),
    # South America
    (701, "AR", "Argentina"),
    (710, "BR", "Brazil"),
    (720, "BO", "Bolivia"),
    (725, "CL", "Chile"),
    (730, "CO", "Colombia"),
    (735, "EC", "Ecuador"),
    (740, "FK", "Falkland Islands"),
    (745, "GF", "French Guiana"),
    (750, "GY", "Guyana"),
    (755, "PY", "Paraguay"),
    (760, "PE", "Peru"),
    (765, "SR", "Suriname"),
    (770, "UY", "Uruguay"),
    (775, "VE", "Venezuela"),
)

#: MID -> entry
MID_TABLE: dict[int, MidEntry] = {mid: MidEntry(mid, iso, name) for mid, iso, name in _MID_ROWS}

#: the flags most used by open registries ("flags of convenience"), ISO codes
FLAGS_OF_CONVENIENCE: frozenset[str] = frozenset(
    {"PA", "LR", "MH", "MT", "BS", "CY", "AG", "BZ", "BO", "KH", "KM", "VC", "KN", "TG",
     "SL", "MN", "MD", "TZ", "CM", "GQ", "KY", "BM", "VU", "TV", "GE", "HN", "JM", "LB"}
)

#: 97x forms that carry no MID (SART, MOB, EPIRB-AIS)
_NO_MID_PREFIXES = ("970", "972", "974")


def _digits(mmsi: str | int) -> str | None:
    """The MMSI as nine digits, or ``None`` when it cannot be one."""
    if isinstance(mmsi, bool):
        return None
    if isinstance(mmsi, int):
        if not 0 < mmsi < 1_000_000_000:
            return None
        return f"{mmsi:09d}"
    if isinstance(mmsi, str):
        text = mmsi.strip()
        if len(text) == 9 and text.isascii() and text.isdigit():
            return text
    return None


def mid_of(mmsi: str | int) -> int | None:
    """The MID inside an MMSI (see the module table), ``None`` for forms without one."""
    d = _digits(mmsi)
    if d is None or d == "000000000":
        return None
    first = d[0]
    if first in "234567":
        return int(d[0:3])
    if d.startswith("111"):
        return int(d[3:6])
    if d.startswith(("98", "99")):
        return int(d[2:5])
    if d.startswith(_NO_MID_PREFIXES):
        return None
    if d.startswith("00"):
        return int(d[2:5])
    if first in "08":
        return int(d[1:4])
    return None


def mid_entry(mmsi: str | int) -> MidEntry | None:
    """The MID table entry of an MMSI, if its MID is allocated."""
    mid = mid_of(mmsi)
    return None if mid is None else MID_TABLE.get(mid)


def flag_state(mmsi: str | int) -> str | None:
    """ISO 3166-1 alpha-2 code of the flag (country of the MID), or ``None``.

    >>> flag_state("775123456")
    'VE'
    >>> flag_state(2393200)   # a Greek base station, 002393200
    'GR'
    """
    entry = mid_entry(mmsi)
    return None if entry is None else entry.iso


def flag_name(mmsi: str | int) -> str | None:
    """Country or territory name of the MMSI's MID, or ``None``."""
    entry = mid_entry(mmsi)
    return None if entry is None else entry.name


def is_valid_mmsi(mmsi: str | int) -> bool:
    """Nine digits, not all zeros, and an allocated MID for every form that has one.

    A ship MMSI (first digit 2-7) must carry an allocated MID; so must coast stations,
    group calls, SAR aircraft, handhelds, parent-ship craft and aids to navigation. The
    AIS-SART / MOB / EPIRB forms (970, 972, 974) have no MID and are valid as such.
    A ship MMSI whose MID is not allocated (e.g. ``123456789``, ``999999999``) is not.
    """
    d = _digits(mmsi)
    if d is None or d == "000000000":
        return False
    if d.startswith(_NO_MID_PREFIXES):
        return True
    mid = mid_of(d)
    return mid is not None and mid in MID_TABLE
