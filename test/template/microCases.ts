// Micro-templates: one construct each, for every jinja2 filter, test and statement transformers'
// sandbox allows, for number forms (floats as written, big ints), unicode, and jinja2's error messages.
// Each is rendered by Python transformers (expected_jinja.py) and by us, and compared byte for byte
// (errors by class and message). `context` is JSON text, parsed number-preserving on both sides.
export interface MicroCase {
  name: string;
  template: string;
  context?: string;
}

const DATA = JSON.stringify({
  users: [
    { name: 'bob', age: 30, city: { name: 'Paris' } },
    { name: 'Alice', age: 25, city: { name: 'lyon' } },
    { name: 'carol', age: 30, city: { name: 'Paris' } },
  ],
  words: ['b', 'A', 'c', 'a'],
  nums: [3, 1, 2],
  d: { b: 1, a: 2, C: 3 },
  text: 'Hello World, hello jinja',
  html: '<b>x & "y"</b>',
});
const NUMBERS =
  '{"f": 21.0, "g": 1.5, "e": 1e5, "neg": -0.0, "big": 12345678901234567890123, "tiny": 1e-7, "list": [1.0, 2, 3.50]}';

const filters: [string, string][] = [
  ['abs', '{{ -3|abs }} {{ -2.5|abs }} {{ true|abs }}'],
  ['attr', "{{ users[0]|attr('name') }}"],
  ['batch', '{{ [1,2,3,4,5]|batch(2)|list }} {{ [1,2,3]|batch(2, 0)|list }}'],
  ['capitalize', "{{ 'hELLO wORLD'|capitalize }}"],
  ['center', "[{{ 'ab'|center(7) }}]"],
  ['count', '{{ nums|count }}'],
  ['default', "{{ missing|default('x') }} {{ ''|default('y', true) }} {{ 0|d('z') }}"],
  ['dictsort', "{{ d|dictsort }} {{ d|dictsort(true) }} {{ d|dictsort(by='value', reverse=true) }}"],
  ['escape', '{{ html|escape }} {{ html|e }} {{ html|forceescape }}'],
  [
    'filesizeformat',
    '{{ 1|filesizeformat }} {{ 500|filesizeformat }} {{ 123456789|filesizeformat }} {{ 2048|filesizeformat(true) }}',
  ],
  ['first last', '{{ nums|first }} {{ nums|last }} {{ "abc"|first }} {{ []|first is undefined }}'],
  ['float', "{{ '3.5'|float }} {{ 'x'|float }} {{ 'x'|float(1.5) }} {{ 2|float }}"],
  ['format', "{{ '%s-%d'|format('a', 3) }} {{ '%(a)s'|format(a=1) }}"],
  ['groupby', "{% for g in users|groupby('age') %}{{ g[0] }}:{{ g[1]|map(attribute='name')|join(',') }};{% endfor %}"],
  ['groupby case', "{% for g in users|groupby('city.name') %}{{ g[0] }}={{ g[1]|length }};{% endfor %}"],
  ['indent', "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}"],
  ['int', "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int(-1) }} {{ '0x1A'|int(base=16) }} {{ 3.9|int }} {{ '1_000'|int }}"],
  ['items', '{% for k, v in d|items %}{{ k }}={{ v }} {% endfor %}'],
  ['join', "{{ words|join }} {{ words|join('-') }} {{ users|join(', ', attribute='name') }}"],
  ['length', '{{ words|length }} {{ d|length }} {{ "é🙂"|length }}'],
  ['list', "{{ 'ab'|list }} {{ d|list }}"],
  ['lower upper title', "{{ 'AbC'|lower }} {{ 'abc'|upper }} {{ \"they're bill's-friends\"|title }}"],
  [
    'map',
    "{{ users|map(attribute='name')|list }} {{ words|map('upper')|list }} {{ users|map(attribute='x', default='?')|list }}",
  ],
  [
    'max min',
    "{{ nums|max }} {{ nums|min }} {{ words|max }} {{ words|max(case_sensitive=true) }} {{ users|min(attribute='age') }}",
  ],
  ['pprint', '{{ d|pprint }}'],
  [
    'reject rejectattr',
    "{{ nums|reject('odd')|list }} {{ users|rejectattr('age', 'gt', 26)|map(attribute='name')|list }}",
  ],
  ['replace', "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }}"],
  ['reverse', "{{ 'abc'|reverse }} {{ nums|reverse|list }}"],
  [
    'round',
    '{{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.1|round(0, "ceil") }} {{ 2.9|round(method="floor") }} {{ 3|round }}',
  ],
  ['safe string', '{{ html|safe }} {{ 3|string }} {{ none|string }}'],
  [
    'select selectattr',
    "{{ nums|select('odd')|list }} {{ nums|select('gt', 1)|list }} {{ users|selectattr('age', 'equalto', 30)|map(attribute='name')|list }} {{ [0, 1, '']|select|list }}",
  ],
  ['slice', '{{ [1,2,3,4,5]|slice(2)|list }} {{ [1,2,3,4]|slice(3, 0)|list }}'],
  [
    'sort',
    "{{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ words|sort(reverse=true) }} {{ users|sort(attribute='age')|map(attribute='name')|list }}",
  ],
  [
    'sort chained',
    "{{ users|sort(attribute='name')|sort(attribute='age', reverse=true)|map(attribute='name')|list }} {{ users|sort(attribute='age,name')|map(attribute='name')|list }}",
  ],
  ['sort none', '{{ [none, none]|sort }}'],
  ['striptags', "{{ '<p>a  <b>b</b></p>\\n c'|striptags }}"],
  ['sum', "{{ nums|sum }} {{ users|sum(attribute='age') }} {{ [[1], [2]]|sum(start=[]) }} {{ [0.1, 0.2]|sum }}"],
  ['tojson', '{{ d|tojson }} {{ d|tojson(indent=2) }} {{ "é"|tojson }} {{ [1.0, 2]|tojson }}'],
  ['trim', "[{{ '  a  '|trim }}] [{{ 'xxaxx'|trim('x') }}]"],
  [
    'truncate',
    "{{ 'foo bar baz qux'|truncate(9) }} {{ 'foo bar baz qux'|truncate(9, true) }} {{ 'foo bar baz qux'|truncate(11, false, '!', 0) }}",
  ],
  [
    'unique',
    "{{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ users|unique(attribute='age')|map(attribute='name')|list }}",
  ],
  ['urlencode', "{{ 'a b/c?'|urlencode }} {{ {'a': 'x y', 'b': 1}|urlencode }}"],
  ['wordcount', "{{ 'a b, c-d_e'|wordcount }}"],
  ['wordwrap', "{{ 'aaa bbb ccc ddd'|wordwrap(7) }}"],
  ['xmlattr', "<a{{ {'href': 'x', 'class': none, 'id': 'a&b'}|xmlattr }}>"],
  ['filter chain', "{{ words|map('lower')|unique|sort|join(',') }}"],
];

const tests: [string, string][] = [
  ['divisibleby', '{{ 9 is divisibleby 3 }} {{ 10 is divisibleby(3) }} {{ 9 is not divisibleby 3 }}'],
  ['in', "{{ 2 is in [1, 2] }} {{ 'a' is in 'cat' }} {{ 'z' is not in d }}"],
  ['odd even', '{{ 3 is odd }} {{ 3 is even }} {{ 3.0 is odd }}'],
  [
    'comparisons',
    '{{ 3 is gt 2 }} {{ 3 is lt 2 }} {{ 3 is ge 3 }} {{ 3 is le 2 }} {{ 3 is ne 2 }} {{ 3 is eq 3 }} {{ 3 is equalto 3 }} {{ 3 is greaterthan 1 }} {{ 3 is lessthan 1 }} {{ 3 is == 3 }} {{ 3 is != 3 }} {{ 3 is > 2 }} {{ 3 is >= 4 }} {{ 3 is < 2 }} {{ 3 is <= 3 }}',
  ],
  [
    'types',
    '{{ 1 is number }} {{ 1.0 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is boolean }} {{ "x" is string }} {{ d is mapping }} {{ nums is sequence }} {{ nums is iterable }} {{ 3 is iterable }} {{ none is none }}',
  ],
  ['true false', '{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }}'],
  ['defined undefined', '{{ d is defined }} {{ nope is defined }} {{ nope is undefined }} {{ d.zz is defined }}'],
  ['lower upper tests', "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }} {{ '123' is lower }}"],
  ['callable', '{{ range is callable }} {{ d is callable }} {{ d.items is callable }}'],
  ['sameas', '{{ none is sameas none }} {{ true is sameas true }} {{ 1 is sameas true }}'],
  ['filter test tests', "{{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ 'nope' is test }}"],
  ['escaped', '{{ "x" is escaped }}'],
  ['select with test args', "{{ nums|select('divisibleby', 3)|list }} {{ nums|select('in', [1, 3])|list }}"],
];

const statements: [string, string][] = [
  ['with', '{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]'],
  ['with outer scope', '{% set a = 5 %}{% with a = 1, b = a %}{{ a }}{{ b }}{% endwith %}{{ a }}'],
  [
    'recursive loop',
    '{% for item in tree recursive %}{{ item.name }}{% if item.children %}({{ loop(item.children) }}){% endif %}{{ loop.depth }}{% endfor %}',
  ],
  [
    'loop attributes',
    '{% for x in "abc" %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }}{{ loop.depth0 }}|{% endfor %}',
  ],
  ['previtem nextitem', '{% for x in [1, 2, 3] %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }};{% endfor %}'],
  ['changed', '{% for x in [1, 1, 2, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}'],
  ['cycle', "{% for x in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}"],
  ['loop filter', '{% for x in range(10) if x is odd %}{{ x }}{{ loop.last }}{% endfor %}'],
  ['loop else', '{% for x in [] %}x{% else %}empty{% endfor %}'],
  [
    'loop break continue',
    '{% for x in range(6) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}',
  ],
  [
    'loop scope',
    '{% set y = 0 %}{% for x in [1, 2] %}{% if x == 2 %}[{{ y }}]{% endif %}{% set y = x %}{% endfor %}{{ y }}',
  ],
  ['loop unpack', '{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }}{% endfor %}'],
  [
    'macro',
    "{% macro greet(name, greeting='Hi') %}{{ greeting }} {{ name }}{% endmacro %}{{ greet('a') }} {{ greet('b', 'Yo') }} {{ greet(greeting='Hey', name='c') }}",
  ],
  ['macro varargs kwargs', '{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}'],
  ['macro missing arg', '{% macro m(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ m(1) }}'],
  ['macro too many args', '{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}'],
  ['macro print', '{% macro m() %}{% endmacro %}{{ m }}'],
  [
    'call block',
    "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner{% endcall %}",
  ],
  [
    'call block args',
    '{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}',
  ],
  ['filter block', '{% filter upper %}hello {{ 1 }}{% endfilter %}{% filter trim|upper %}  x  {% endfilter %}'],
  ['set block', '{% set s %}a{{ 1 }}b{% endset %}[{{ s }}]{% set t | upper %}x{% endset %}{{ t }}'],
  ['set tuple', '{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, = [3] %}{{ c }}'],
  ['namespace', '{% set ns = namespace(n=0) %}{% for x in range(3) %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}'],
  ['namespace non-namespace', '{% set d2 = {} %}{% set d2.x = 1 %}'],
  [
    'if elif else',
    '{% for x in range(4) %}{% if x == 0 %}a{% elif x == 1 %}b{% elif x == 2 %}c{% else %}d{% endif %}{% endfor %}',
  ],
  ['inline if', "{{ 'y' if true else 'n' }}{{ 'y' if false }}|{{ 1 if none else 2 if true else 3 }}"],
  ['tuple literals', '{{ (1,) }} {{ (1, 2) }} {{ () }} {{ 1, 2 }} {{ ((1, 2),) }}'],
  ['block', '{% block content %}in block{% endblock %}'],
  ['raw', '{% raw %}{{ not rendered }}{% endraw %}'],
  ['print statement', '{% print 1 + 1 %}'],
  ['whitespace control', 'a  {%- if true -%}  b  {%- endif -%}  c\n  {% if true %}\n  d\n  {% endif %}\n{{- " e" }}'],
  ['comments', 'a{# comment #}b{#- trim -#}  c'],
  [
    'cycler joiner',
    "{% set c = cycler('x', 'y') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{% set j = joiner('|') %}{% for x in 'ab' %}{{ j() }}{{ x }}{% endfor %}",
  ],
  ['dict global', "{{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }}"],
  ['range', '{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }}'],
  [
    'nested loops depth',
    '{% for a in [1, 2] %}{% for b in "xy" %}{{ loop.index }}{{ loop.depth }}{% endfor %}{{ loop.index }}{% endfor %}',
  ],
  ['macro recursion', '{% macro f(n) %}{{ n }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}'],
  ['macro caller default', '{% macro m() %}[{{ caller() if caller is defined else "none" }}]{% endmacro %}{{ m() }}'],
  ['macro sees later globals', '{% macro m() %}{{ g }}{% endmacro %}{% set g = 5 %}{{ m() }}'],
  ['set in if at top', '{% if true %}{% set z = 1 %}{% endif %}{{ z }}'],
  ['set in with', '{% with %}{% set q = 1 %}{{ q }}{% endwith %}[{{ q }}]'],
  ['loop over dict', '{% for k in d %}{{ k }}{% endfor %} {% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}'],
  ['loop over string', '{% for c in "é🙂" %}[{{ c }}]{% endfor %}'],
  ['loop length filtered', '{% for x in nums if x > 1 %}{{ loop.length }}{% endfor %}'],
  ['lstrip trim blocks', '<ul>\n    {% for x in nums %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>'],
  ['plus modifier', '  {%+ if true %}x{% endif %}\n  {%- if true %}y{% endif %}'],
  ['trailing newline', 'a\n'],
  ['crlf', 'a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc'],
];

const values: [string, string, string?][] = [
  [
    'floats as written',
    '{{ f }} {{ g }} {{ e }} {{ neg }} {{ tiny }} {{ list }} {{ f|tojson }} {{ list|tojson }} {{ f + 1 }} {{ f is float }}',
    NUMBERS,
  ],
  [
    'big integers',
    '{{ big }} {{ big + 1 }} {{ big * 2 }} {{ big|tojson }} {{ big is integer }} {{ big // 7 }} {{ big % 1000 }} {{ -big }}',
    NUMBERS,
  ],
  [
    'int arithmetic',
    '{{ 2 ** 64 }} {{ 10 ** 20 + 1 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ -7.5 // 2 }} {{ 2 ** -1 }} {{ 1e3 }} {{ 1_000 }} {{ 0x1f }} {{ 0o17 }} {{ 0b101 }}',
  ],
  [
    'float repr',
    '{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e-5 }} {{ 123456789.123 }} {{ 1.0 }} {{ 100.0 }} {{ 3.14159265358979 }}',
  ],
  [
    'unicode',
    "{{ 'é🙂日本'|length }} {{ 'é🙂日本'[1] }} {{ 'é🙂日本'[1:3] }} {{ 'é🙂日本'|reverse }} {{ 'ÉCOLE'|lower }} {{ 'straße'|upper }} {{ '🙂'|tojson }}",
  ],
  ['unicode json', '{{ s }} {{ s|tojson }} {{ s|length }}', '{"s": "\\ud83d\\ude42 caf\\u00e9 \\u65e5"}'],
  [
    'string methods',
    "{{ ' a b '.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a b c'.split(None, 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ ''.split() }} {{ ''.split(',') }} {{ 'a\\nb\\r\\nc'.splitlines() }}",
  ],
  [
    'string methods 2',
    "{{ 'abc'.startswith('a') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abc'.count('') }} {{ 'abc'.replace('', '-') }} {{ 'a-b'.title() }} {{ 'ab'.zfill(4) }} {{ 'ab'.center(6, '*') }}",
  ],
  ['str.format', "{{ '{} {}'.format(1, 'x') }} {{ '{a}-{0}'.format(5, a=2) }} {{ '{{}}'.format() }}"],
  ['str replace kwargs', "{{ 'a b'.replace(old='a', new='b') }}"],
  ['percent format', "{{ '%5.2f|%-4d|%x|%r|%s' % (3.14159, 7, 255, 'q', none) }}"],
  [
    'dict methods',
    "{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ d.get('a') }} {{ d.get('zz', 0) }} {{ d.items()|list }}",
  ],
  ['list methods', '{{ nums.index(2) }} {{ nums.count(3) }} {{ nums[1:] }} {{ nums[::-1] }} {{ nums[-1] }}'],
  ['int dict keys', "{% set m = {1: 'a', 'b': 2} %}{{ m }} {{ m[1] }} {{ 1 in m }} {{ m|tojson }}"],
  ['printing', '{{ none }} {{ true }} {{ [none, true, 1.5, "x"] }} {{ {"k": none} }} {{ nope }}'],
  [
    'comparisons chain',
    "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ (1, 2) == [1, 2] }}",
  ],
  ['concat', "{{ 1 ~ 'a' ~ none ~ nope ~ [1] }}"],
  [
    'tool call arguments',
    '{% for c in calls %}{{ c.arguments|tojson }} {{ c.arguments }} {% endfor %}',
    '{"calls": [{"arguments": {"temp": 21.0, "n": 3, "big": 9007199254740993, "x": [0.5, 1e400, -1E3]}}]}',
  ],
  [
    'json key order',
    '{{ o }} {{ o|tojson }} {% for k in o %}{{ k }}{% endfor %}',
    '{"o": {"b": 1, "10": 2, "2": 3, "a": 4}}',
  ],
  [
    'number tests',
    '{{ f is integer }} {{ f is number }} {{ big is float }} {{ (f|int) is integer }} {{ f == 21 }} {{ f|string }} {{ "%d %s %r"|format(f, f, f) }}',
    '{"f": 21.0, "big": 100000000000000000000}',
  ],
  ['string escapes', "{{ 'a\\tb\\n\\x41\\u00e9\\U0001F642' }} {{ 'it\\'s' }} {{ \"q\\\"\" }}"],
  ['repr escapes', "{{ ['a\\nb', \"it's\", 'x\\\\y', '\\x00é'] }}"],
];

const lazy: [string, string][] = [
  ['select length', '{{ nums|select|length }}'],
  ['select index', '{{ (nums|select)[0] }}|'],
  ['map last', "{{ nums|map('string')|last }}"],
  ['generator once', '{% set g = nums|select %}{{ g|list }}{{ g|list }}'],
  ['generator print', '{{ nums|reverse|length }}'],
  [
    'generator iterate',
    "{% for x in nums|select('odd') %}{{ x }}{% endfor %} {{ nums|map('string')|join('+') }} {{ nums|select('odd')|first }}",
  ],
  ['generator test', '{{ nums|select is iterable }} {{ nums|select is sequence }}'],
];

const errors: [string, string][] = [
  ['err missing block end', '{% if x {% endif %}'],
  ['err unclosed print', '{{ x '],
  ['err unexpected paren', '{{ x ) }}'],
  ['err mismatched bracket', '{{ (x ] }}'],
  ['err unexpected char', '{{ x $ }}'],
  ['err unclosed for', '{% for m in nums %}{{ m }}'],
  ['err bad expression', 'a\nb {{ nums[0] + }}'],
  ['err unknown tag', '{% frobnicate %}'],
  ['err stray endif', 'x{% endif %}'],
  ['err nesting', '{% for x in nums %}{% endif %}'],
  ['err empty expression', '{{ }}'],
  ['err empty if', '{% if %}{% endif %}'],
  ['err assign const', '{% set 1 = 2 %}'],
  ['err default arg order', '{% macro f(a=1, b) %}{% endmacro %}'],
  ['err unknown filter', '{{ 1|nofilter }}'],
  ['err unknown test', '{{ 1 is notest }}'],
  ['err unknown filter in if', '{% if false %}{{ 1|nofilter }}{% endif %}ok'],
  ['err unknown filter in taken if', '{% if true %}{{ 1|nofilter }}{% endif %}ok'],
  ['err chained tests', '{{ x is defined is defined }}'],
  ['err N escape', '{{ "\\N" }}'],
  ['err unterminated comment', '{# open'],
  ['err unterminated raw', '{% raw %}x'],
  ['err multiline', 'line1\n{% for x in nums %}\n{{ x + "a" }}\n{% endfor %}'],
  ['err undefined attr', '{{ nope.attr }}'],
  ['err undefined call', '{{ nope() }}'],
  ['err none attribute', '{{ n.x.y }}'],
  ['err unpack', '{% set a, b = 1 %}'],
  ['err unpack count', '{% for a, b in [(1, 2, 3)] %}{% endfor %}'],
  ['err sort mixed', '{{ [1, none]|sort }}'],
  ['err compare', "{{ 1 < 'a' }}"],
  ['err int plus str', "{{ 1 + 'a' }}"],
  ['err div zero', '{{ 1 / 0 }} {{ 1.0 // 0 }}'],
  ['err loop call', '{% for x in [1] %}{{ loop([]) }}{% endfor %}'],
  ['err range', '{{ range(1000000)|length }}'],
  ['err include', "{% include 'x.html' %}"],
  ['err raise', "{{ raise_exception('boom ' ~ 1) }}"],
  ['err unsafe', '{{ nums.append(4) }}'],
  ['err str method arg', '{{ "a".startswith(1) }}'],
  ['err join non-str', "{{ ','.join([1, 2]) }}"],
  ['err slice generator', '{{ (nums|select)[1:] }}'],
  ['err slice none', '{{ n[1:] }}'],
  ['err macro kwarg', '{% macro m(a) %}{% endmacro %}{{ m(b=1) }}'],
  ['err macro twice', '{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}'],
  ['err not callable', '{{ nums() }}'],
  ['err undefined iterate attr', '{% for x in nope.items() %}{% endfor %}'],
  ['err none iterate', '{% for x in n %}{% endfor %}'],
  ['err dict key list', '{{ {[1]: 2} }}'],
  ['err neg str', "{{ -'a' }}"],
  ['err str mul', "{{ 'a' * 'b' }}"],
  ['err break outside loop in macro', '{% for x in [1] %}{% macro m() %}{% endmacro %}{% endfor %}ok'],
  ['err tojson undefined', '{{ nope|tojson }}'],
  ['err first of int', '{{ 3|first }}'],
  ['err length of int', '{{ 3|length }}'],
  ['err int key', '{{ nums["a"] }}|{{ nums.a }}'],
  ['err dictsort by', "{{ d|dictsort(by='x') }}"],
  ['err map missing filter', '{{ nums|map|list }}'],
  ['err select unknown test', "{{ nums|select('nope')|list }}"],
  ['err round method', "{{ 1.5|round(0, 'up') }}"],
  ['err format mix', "{{ '%s'|format(1, a=2) }}"],
  ['err namespace underscore', '{% set ns = namespace(_x=1) %}'],
  ['err unclosed string', '{{ "abc }}'],
  ['err bad dict', '{{ {1 2} }}'],
  ['err elif after else', '{% if true %}{% else %}{% elif false %}{% endif %}'],
  ['err endfor mismatch in macro', '{% macro m() %}{% endfor %}{% endmacro %}'],
];

const CTX = JSON.stringify({
  ...JSON.parse(DATA),
  n: null,
  tree: [
    {
      name: 'a',
      children: [
        { name: 'b', children: [] },
        { name: 'c', children: [{ name: 'd' }] },
      ],
    },
    { name: 'e', children: [] },
  ],
});

export const MICRO_CASES: MicroCase[] = [
  ...filters.map(([name, template]) => ({ name: `filter ${name}`, template, context: CTX })),
  ...tests.map(([name, template]) => ({ name: `test ${name}`, template, context: CTX })),
  ...statements.map(([name, template]) => ({ name: `statement ${name}`, template, context: CTX })),
  ...values.map(([name, template, context]) => ({ name: `value ${name}`, template, context: context ?? CTX })),
  ...lazy.map(([name, template]) => ({ name: `lazy ${name}`, template, context: CTX })),
  ...errors.map(([name, template]) => ({ name, template, context: CTX })),
];
