#!/usr/bin/env python3
"""Write a labelled TSV of Faker zh_CN values for the scanner's accuracy
measurement on text nobody in this project wrote (issue 13).

Usage: faker_labelled.py N SEED OUT.tsv

Each kind gets N values from Faker's zh_CN provider, with a fixed seed so
that the same Faker version writes the same file. Columns (tab-separated,
after a `#` comment header and a column header):

  kind    the scanner kind id the value is (person_name, address, cn_mobile,
          cn_license_plate, mac_address, ipv4, ipv6, geo_coordinate,
          date_of_birth, bank_card,
          cn_resident_id, email), or `none` for a negative that must not be
          reported as any kind
  value   the Faker value
  header  the column name it would have in a real export (the hint)
  source  the Faker provider method
  keyword the Chinese label that would introduce it in free text
          (`姓名：…`, `地址：…`, `公司：…`)

All values are synthetic (Faker's generators); nothing here is real data.
The output is not committed: scripts/accuracy-faker.sh regenerates it.
"""
import random
import sys
from datetime import datetime

import faker
from faker import Faker


def main(n, seed, out):
    fake = Faker('zh_CN')
    Faker.seed(seed)
    rnd = random.Random(seed)

    def product():
        # Product-like strings: a word, a model code with digits and letters.
        return '%s%s %s-%d' % (fake.word(), fake.word(), rnd.choice(['X', 'Pro', 'GT', 'A', 'M']),
                               rnd.randint(10, 99999))

    positives = [
        ('person_name', 'name', 'name', '姓名', fake.name),
        ('person_name', '姓名', 'name', '联系人', fake.name),
        ('address', 'address', 'address', '地址', fake.address),
        ('cn_mobile', 'mobile', 'phone_number', '手机', fake.phone_number),
        ('cn_resident_id', 'id_no', 'ssn', '身份证号', fake.ssn),
        ('email', 'email', 'email', '邮箱', fake.email),
    ]
    negatives = [
        ('company', 'company', '公司', fake.company),
        ('job_title', 'job', '职位', fake.job),
        ('remark', 'sentence', '备注', fake.sentence),
        ('tag', 'word', '标签', fake.word),
        ('tags', 'words', '标签', lambda: ''.join(fake.words(nb=rnd.randint(2, 3)))),
        ('product', 'word+model', '产品', product),
        ('city', 'city', '城市', fake.city),
        ('province', 'province', '省份', fake.province),
    ]
    with open(out, 'w', encoding='utf-8') as f:
        f.write('# Faker %s zh_CN, %d values per generator, seed %d (synthetic).\n'
                % (faker.VERSION, n, seed))
        f.write('kind\tvalue\theader\tsource\tkeyword\n')

        def write(pos, neg):
            for kind, header, source, kw, gen in pos:
                for _ in range(n):
                    f.write('%s\t%s\t%s\tfaker.%s\t%s\n' % (kind, clean(gen()), header, source, kw))
            for header, source, kw, gen in neg:
                for _ in range(n):
                    f.write('none\t%s\t%s\tfaker.%s\t%s\n' % (clean(gen()), header, source, kw))

        write(positives, negatives)
        # Added later, after the first set so that its values stay what they
        # were for the same seed: the kinds with no public test data.
        more = [
            ('cn_license_plate', 'plate_no', 'license_plate', '车牌号', fake.license_plate),
            ('cn_license_plate', 'plate_no', 'license_plate (no hyphen)', '车牌号',
             lambda: fake.license_plate().replace('-', '')),
            ('mac_address', 'mac', 'mac_address', 'MAC地址', fake.mac_address),
            ('ipv4', 'ip', 'ipv4', 'IP地址', fake.ipv4),
            ('ipv6', 'ip', 'ipv6', 'IP地址', fake.ipv6),
            ('geo_coordinate', 'location', 'latitude,longitude', '坐标',
             lambda: '%s,%s' % (fake.latitude(), fake.longitude())),
            ('date_of_birth', 'birthday', 'date_of_birth', '出生日期',
             lambda: fake.date_of_birth().isoformat()),
            ('bank_card', 'card_no', 'credit_card_number', '银行卡号', fake.credit_card_number),
        ]
        more_negatives = [
            ('barcode', 'ean13', '条码', fake.ean13),
            ('isbn', 'isbn13', 'ISBN', fake.isbn13),
            ('uuid', 'uuid4', '编号', fake.uuid4),
            ('vin', 'vin', '车架号', fake.vin),
            # Fixed bounds: `date_time_this_decade` would depend on today.
            ('created_at', 'date_time_between', '创建时间',
             lambda: fake.date_time_between(datetime(2020, 1, 1), datetime(2026, 1, 1))
             .isoformat(sep=' ')),
            ('price', 'pricetag', '价格', fake.pricetag),
        ]
        write(more, more_negatives)
        # Added third: Latin-script names (as field names, the gate's
        # `Mary Johnson` keys). en_NZ's and en_IE's people come from lists the
        # detector's were not built from (en_US and en_GB,
        # crates/outbound-scan/data/gen_en_names.py); en_US's are the lists'
        # own. Negatives: English phrases of one to three capitalised words.
        en = {loc: Faker(loc) for loc in ('en_US', 'en_NZ', 'en_IE')}
        for i, f_ in enumerate(en.values()):
            f_.seed_instance(seed + i)

        def person(loc):
            return lambda: '%s %s' % (en[loc].first_name(), en[loc].last_name())

        latin = [
            ('person_name', 'name', 'en_NZ first_name last_name', 'Name', person('en_NZ')),
            ('person_name', 'name', 'en_IE first_name last_name', 'Name', person('en_IE')),
            ('person_name', 'name', 'en_US first_name last_name', 'Name', person('en_US')),
        ]
        latin_negatives = [
            ('colour', 'en_US color_name', 'Colour', en['en_US'].color_name),
            ('country', 'en_US country', 'Country', en['en_US'].country),
            ('state', 'en_US state', 'State', en['en_US'].state),
            ('job', 'en_US job', 'Job', en['en_US'].job),
            ('currency', 'en_US currency_name', 'Currency', en['en_US'].currency_name),
            ('city', 'en_US city', 'City', en['en_US'].city),
        ]
        write(latin, latin_negatives)
        # Added fourth: the same kinds of values in capitals, in lowercase
        # and as `Surname, Given` (exports that write names so).
        us = Faker('en_US')
        us.seed_instance(seed + 3)
        write([
            ('person_name', 'name', 'en_US first_name last_name, upper', 'Name',
             lambda: '%s %s' % (us.first_name().upper(), us.last_name().upper())),
            ('person_name', 'name', 'en_US first_name last_name, lower', 'Name',
             lambda: '%s %s' % (us.first_name().lower(), us.last_name().lower())),
            ('person_name', 'name', 'en_US last_name, first_name', 'Name',
             lambda: '%s, %s' % (us.last_name(), us.first_name())),
        ], [
            ('job', 'en_US job, upper', 'Job', lambda: us.job().upper()),
            ('job', 'en_US job, lower', 'Job', lambda: us.job().lower()),
            ('city', 'en_US city, lower', 'City', lambda: us.city().lower()),
            ('colour', 'en_US color_name, upper', 'Colour', lambda: us.color_name().upper()),
        ])
        # Added fifth: names parted by `_` (user names as keys,
        # `mary_johnson`), and phrases written so (`sales_manager`).
        sn = Faker('en_US')
        sn.seed_instance(seed + 4)

        def snake(v):
            return '_'.join(v.split())

        write([
            ('person_name', 'name', 'en_US first_name_last_name, lower', 'Name',
             lambda: snake('%s %s' % (sn.first_name(), sn.last_name())).lower()),
        ], [
            ('job', 'en_US job, snake case', 'Job', lambda: snake(sn.job().lower())),
            ('city', 'en_US city, snake case', 'City', lambda: snake(sn.city().lower())),
            ('colour', 'en_US color_name, snake case', 'Colour',
             lambda: snake(sn.color_name().lower())),
            ('country', 'en_US country, snake case', 'Country',
             lambda: snake(sn.country().lower())),
        ])


def clean(v):
    # Faker's addresses have no tabs or newlines, but be safe for TSV.
    return ' '.join(str(v).split())


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
