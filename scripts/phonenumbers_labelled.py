#!/usr/bin/env python3
"""Write a labelled TSV of PRC phone numbers judged by libphonenumber, for
the scanner's accuracy on landlines and mobiles against a numbering plan
nobody in this project wrote (issue 13).

Usage: phonenumbers_labelled.py N SEED OUT.tsv

The numbers are random digits in the shapes people write: landline-shaped
(`0` + a 2- or 3-digit area code, a 7- or 8-digit subscriber number, with
a dash, a space or the area code in parentheses) and mobile-shaped (`1` and
ten digits: bare, after `+86 `, grouped 3-4-4 by dashes or spaces). Every
digit is drawn at random, so many are numbers no operator has issued. Each
is labelled by `phonenumbers` (PyPI; the Python port of Google's
libphonenumber, whose metadata follows the MIIT numbering plan) parsed with
region CN: `cn_landline` for a valid FIXED_LINE number, `cn_mobile` for a
valid MOBILE number, `none` for anything else (not a valid number, or a
valid one of a type that is not a person's line: toll-free, shared-cost,
VoIP). Left out: a valid number of the other kind than its shape (a
landline-shaped `0133-60983930` is the mobile 133… after the trunk `0`),
FIXED_LINE_OR_MOBILE, and a landline whose area code as written is not
the one libphonenumber reads (it reads the digits and ignores the
grouping).

Columns as scripts/faker_labelled.py writes them (kind, value, header,
source, keyword), so the same example scores them:

    cargo run --release -p outbound-scan --example accuracy_faker -- OUT.tsv

All values are synthetic (random digits); nothing here is real data.
scripts/accuracy-phonenumbers.sh makes the venv and runs both steps.
"""
import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberType


def label(text, shape):
    """The label of `text` written in `shape` (a kind), or None to leave it
    out: a valid number of the other kind, or a landline whose area code as
    written is not the one libphonenumber reads (it parses the digits and
    ignores the grouping, so `(0290)8992891` is Xi'an's 029 and 08992891,
    which nobody writes that way)."""
    try:
        n = phonenumbers.parse(text, 'CN')
    except phonenumbers.NumberParseException:
        # `00…` reads as an international call prefix: no number.
        return 'none'
    if not phonenumbers.is_valid_number(n):
        return 'none'
    t = phonenumbers.number_type(n)
    if shape == 'cn_landline' and t == PhoneNumberType.FIXED_LINE:
        nsn = phonenumbers.national_significant_number(n)
        area = phonenumbers.length_of_geographical_area_code(n)
        written = text.replace('(', ' ').replace(')', ' ').replace('-', ' ').split()[0]
        return 'cn_landline' if written == '0' + nsn[:area] else None
    if shape == 'cn_mobile' and t == PhoneNumberType.MOBILE:
        return 'cn_mobile'
    if t in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE,
             PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return 'none'


def main(n, seed, out):
    rnd = random.Random(seed)

    def digits(k):
        return ''.join(rnd.choice('0123456789') for _ in range(k))

    def area():
        # `0` and 2 digits (010, 02x; also 00x and 03x-09x that are no
        # area code) or `0` and 3 digits.
        return '0' + digits(rnd.choice([2, 3]))

    def subscriber():
        # Mostly the 2-9 first digit subscriber numbers have, sometimes not.
        first = rnd.choice('23456789' * 4 + '01')
        return first + digits(rnd.choice([6, 7]))

    def mobile():
        return '1' + digits(10)

    shapes = [
        ('cn_landline', 'phone', '电话', 'landline 0AA-SSSSSSSS',
         lambda: '%s-%s' % (area(), subscriber())),
        ('cn_landline', 'phone', '电话', 'landline (0AA)SSSSSSSS',
         lambda: '(%s)%s' % (area(), subscriber())),
        ('cn_landline', 'phone', '电话', 'landline 0AA SSSSSSSS',
         lambda: '%s %s' % (area(), subscriber())),
        ('cn_mobile', 'mobile', '手机', 'mobile 1XXXXXXXXXX', mobile),
        ('cn_mobile', 'mobile', '手机', 'mobile +86 1XXXXXXXXXX', lambda: '+86 ' + mobile()),
        ('cn_mobile', 'mobile', '手机', 'mobile 1XX-XXXX-XXXX',
         lambda: (lambda m: '%s-%s-%s' % (m[:3], m[3:7], m[7:]))(mobile())),
        ('cn_mobile', 'mobile', '手机', 'mobile 1XX XXXX XXXX',
         lambda: (lambda m: '%s %s %s' % (m[:3], m[3:7], m[7:]))(mobile())),
    ]
    counts = {}
    with open(out, 'w', encoding='utf-8') as f:
        f.write('# phonenumbers %s (libphonenumber metadata), region CN, %d values per shape, '
                'seed %d (random digits, synthetic).\n' % (phonenumbers.__version__, n, seed))
        f.write('kind\tvalue\theader\tsource\tkeyword\n')
        for shape_kind, header, kw, source, gen in shapes:
            for _ in range(n):
                v = gen()
                kind = label(v, shape_kind)
                if kind is None:
                    continue
                counts[(source, kind)] = counts.get((source, kind), 0) + 1
                f.write('%s\t%s\t%s\tphonenumbers: %s\t%s\n' % (kind, v, header, source, kw))
    for (source, kind), c in sorted(counts.items()):
        print('%-28s %-12s %d' % (source, kind, c), file=sys.stderr)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
