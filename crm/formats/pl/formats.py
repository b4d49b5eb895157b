"""Where Polish users expect other formats than Django's Polish locale gives (the rest is
Django's, django/conf/locale/pl/formats.py).

Django writes short dates with hyphens ("31-08-2020") and puts two spaces before the time; in
Poland a date in a table or a form is written with dots, "31.08.2020", as Czech and Russian
write it (their Django formats already do).
"""

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
