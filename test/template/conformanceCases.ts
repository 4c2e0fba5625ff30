// Conformance cases: each is rendered by Python transformers (expected.py, one process for all) and by
// our renderer, and must match byte for byte (or raise on both sides). The templates are written for
// this suite to cover every construct real chat templates use, plus each place where a JavaScript jinja (e.g. @huggingface/jinja) differs from Python.
import type { ChatMessage } from '../../src/core/template/types';

export interface ConformanceCase {
  name: string;
  /** `fixture` (test/.fixtures/tokenizer), `qwen3` or `llama3` (read from node_modules). */
  tokenizer: 'fixture' | 'qwen3' | 'llama3';
  /** A template from TEMPLATES; absent = the tokenizer's own chat_template. */
  template?: keyof typeof TEMPLATES;
  messages: ChatMessage[];
  tools?: unknown[];
  documents?: unknown[];
  add_generation_prompt?: boolean;
  continue_final_message?: boolean;
  kwargs?: Record<string, unknown>;
  /** Also compare input_ids and assistant_masks from return_assistant_tokens_mask. */
  mask?: boolean;
  /** Python raises: we must raise too (message compared when `sameMessage`). */
  error?: { sameMessage?: boolean };
}

/** strftime_now is pinned to this wall-clock time on both sides. */
export const NOW_ISO = '2024-07-26T14:05:09';

const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}" +
  "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const TOOLS = `{%- macro render_args(args) -%}
{%- for k, v in args.items() -%}
{{ k }}={{ v|tojson }}{% if not loop.last %}, {% endif %}
{%- endfor -%}
{%- endmacro -%}
{%- set ns = namespace(system='', n_tools=0) -%}
{%- for m in messages if m.role == 'system' -%}{%- set ns.system = ns.system + m.content -%}{%- endfor -%}
{%- if tools is not none -%}
<tools>
{%- for t in tools %}
{{ t|tojson(indent=2) }}
{%- set ns.n_tools = ns.n_tools + 1 -%}
{%- endfor %}
</tools> ({{ ns.n_tools }} tools)
{% endif -%}
{%- if ns.system %}SYSTEM: {{ ns.system }}
{% endif -%}
{%- for message in messages if message.role != 'system' -%}
{%- if message.role == 'assistant' and message.tool_calls is defined -%}
ASSISTANT:{% for call in message.tool_calls %} {{ call.function.name }}({% if call.function.arguments is string %}{{ call.function.arguments }}{% else %}{{ render_args(call.function.arguments) }}{% endif %}){% endfor %}
{% elif message.role == 'tool' -%}
TOOL[{{ message.name|default('?') }}]: {{ message.content }}
{% else -%}
{{ message.role|upper }}: {{ message.content }}
{% endif -%}
{%- endfor -%}
{%- if add_generation_prompt %}ASSISTANT:{% endif -%}
`;

// Printing and semantics where a JavaScript jinja differs from Python: each line exercises one gap.
const GAPS = `repr: {{ messages[0] }} | {{ tools }} | {{ [1, 'a', none, true, 2.5] }} | {{ ("it's", 'say "hi"', 'x') }}
scalars: {{ True }} {{ none }} {{ 2.0 }} {{ 1/3 }} {{ 10**20 }} {{ 1e20 }} {{ 0.00001 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ true + 1 }}{% if floats is defined %} {{ floats }} {{ floats|tojson }} {{ floats|sum }}{% endif %}
intkeys: {% set d = {0: 'zero', 1: 'one'} %}{{ d[1] }} {{ d }} {{ d|tojson }} {{ 0 in d }}
tuples: {% for a, b in [('x', 1), ('y', 2)] %}{{ a }}{{ b }} {% endfor %}{% for k, v in {'p': 1, 'q': [2]}.items() %}{{ k }}={{ v }};{% endfor %}
undefined: [{{ nothing|trim }}][{{ nothing|length }}][{% for x in nothing %}x{% endfor %}][{{ nothing }}][{{ nothing|default('dflt') }}][{{ nothing is defined }}]
strings: {{ 'é🙂'|length }} {{ '  x  '.strip() }}|{{ 'a b  c'.split() }} {{ 'a,b'.split(',') }} {{ 'abc'[1:] }} {{ 'abc'[-1] }} {{ 'Hello'.startswith(('x', 'H')) }} {{ "it's"|upper }} {{ '-' * 5 }} {{ 'x %s %d' % ('y', 3) }} {{ '%s!'|format('hey') }}
compare: {{ 'a' < 'b' }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }} {{ 1 == 1.0 }} {{ 'x' in 'xyz' }} {{ 'b' in {'b': 1} }} {{ [1] + [2] }}
json: {{ {'b': 1, 'a': 'é<>'}|tojson(sort_keys=true) }} {{ {'a': [1, 2]}|tojson(separators=(',', ':')) }} {{ {'a': {}}|tojson(indent=1) }} {{ 'é'|tojson(true) }} {{ 3.0|tojson }}
filters: {{ messages|map(attribute='role')|join(',') }} {{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ [3, 1, 2]|sort }} {{ [3, 1, 2]|max }} {{ [1, 2.5]|sum }} {{ 2.5|round }} {{ '3.7'|int }} {{ ['a', 'b']|map('upper')|list }} {{ 'a b c'|wordcount }} {{ [1, 1, 2]|unique|list }} {{ 'x'|list }}
loopctl: {% for x in [1, 2, 3, 4, 5] %}<{{ x }}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}!{% break %}{% endif %}>{% else %}never{% endfor %}{% for x in [] %}{% else %}empty{% endfor %}
loop: {% for m in messages %}{{ loop.index }}/{{ loop.length }}{{ 'F' if loop.first }}{{ 'L' if loop.last }}{{ loop.cycle('a', 'b') }} {% endfor %}
scope: {% set x = 'outer' %}{% for m in messages %}{% set x = 'inner' %}{% endfor %}{{ x }}{% set ns = namespace(x='outer') %}{% for m in messages %}{% set ns.x = 'inner' %}{% endfor %} {{ ns.x }} {{ ns }}
dict: {{ dict(a=1, b='x') }} {{ messages[0].get('missing', 'fallback') }} {{ messages[0].keys()|list }}
kwargs: {{ enable_thinking is defined and enable_thinking }} {{ eos_token }} {{ bos_token is defined }}
date: {{ strftime_now('%Y-%m-%d %H:%M:%S %A %a %B %b %-d %j %p %I') }}
{%+ if true %}  plus-keeps-indent{% endif %}
    {% if true %}lstrip-removes-indent{% endif %}
{% raw %}{{ raw }} {% stays %}{% endraw %}
{# a comment #}
{%- if add_generation_prompt %}GEN{% endif %}
`;

const CRLF = 'line1\r\n{% for m in messages %}\r\n  {{ m.role }}: {{ m.content }}\r\n{% endfor %}\r\nend\r\n';

const GENERATION = `{%- for message in messages -%}
{{ '<|im_start|>' + message.role + '\\n' }}
{%- if message.role == 'assistant' -%}
  {%- generation -%}
  {{ message.content + '<|im_end|>' }}
  {%- endgeneration %}

{% else -%}
{{ message.content + '<|im_end|>\\n' }}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif -%}`;

export const TEMPLATES = {
  llama2: LLAMA2,
  tools: TOOLS,
  gaps: GAPS,
  crlf: CRLF,
  generation: GENERATION,
  strDict: "{{ 'msg: ' + messages[0] }}",
  strInt: "{{ 'count: ' + messages|length }}",
  noneAdd: '{{ none + 1 }}',
  zeroDiv: '{{ 1 // 0 }}',
  undefinedAttr:
    '{% for m in messages %}\n  {{ m.content }}\n  {%- if loop.last %}\n{{ m.missing.strip() }}{% endif %}{% endfor %}',
  raiseLine:
    "a\n\n{%- for m in messages %}\n  {%- if m.role == 'user' %}\n    {{- raise_exception('no users: ' + m.role) }}\n  {%- endif %}\n{%- endfor %}",
  undefinedAdd: '{{ foo + "x" }}',
  raise:
    "{% if messages|length > 1 %}{{ raise_exception('Only one message is supported, got ' ~ messages|length) }}{% endif %}ok",
  unsafe: '{% set xs = [] %}{{ xs.append(1) }}',
  syntaxUnclosed: '{% for m in messages %}{{ m.content }}',
  syntaxBadExpr: 'a\nb {{ messages[0] + }}',
  syntaxUnknownTag: '{% frobnicate %}',
  syntaxStrayEnd: 'x{% endif %}',
  tojsonUndefined: '{{ nothing|tojson }}',
  namespaceUnderscore: '{% set ns = namespace(_private=1) %}ok',
  notIterable: '{% for x in none %}{% endfor %}',
};

const plain: ChatMessage[] = [{ role: 'user', content: 'Give three tips for staying healthy.' }];
const system: ChatMessage[] = [{ role: 'system', content: 'You are terse.' }, ...plain];
const multi: ChatMessage[] = [
  ...system,
  { role: 'assistant', content: 'Eat well, sleep well and exercise.' },
  { role: 'user', content: 'What is the capital of France? 🙂' },
  { role: 'assistant', content: 'The capital of France is Paris. Les élèves 日本語' },
];
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, days: { type: 'integer' } },
        required: ['city'],
      },
    },
  },
];
const toolChat: ChatMessage[] = [
  { role: 'system', content: 'Use tools.' },
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: '',
    tool_calls: [
      { type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris', days: 2 } } },
      { type: 'function', function: { name: 'get_weather', arguments: '{"city": "Lyon"}' } },
    ],
  },
  { role: 'tool', name: 'get_weather', content: '{"temp": 21.5}' },
  { role: 'assistant', content: 'It is 21.5 °C.' },
];
const thinking: ChatMessage[] = [
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: 'It is 4.', reasoning_content: 'Two plus two is four.' },
  { role: 'user', content: 'And 3+3?' },
];

const both = (c: Omit<ConformanceCase, 'add_generation_prompt'>): ConformanceCase[] => [
  { ...c, name: `${c.name}`, add_generation_prompt: false },
  { ...c, name: `${c.name} +gen`, add_generation_prompt: true },
];

export const CASES: ConformanceCase[] = [
  ...both({ name: 'chatml plain', tokenizer: 'fixture', messages: plain }),
  ...both({ name: 'chatml system', tokenizer: 'fixture', messages: system }),
  ...both({ name: 'chatml multi-turn', tokenizer: 'fixture', messages: multi, mask: true }),
  {
    name: 'chatml continue_final_message',
    tokenizer: 'fixture',
    messages: [...plain, { role: 'assistant', content: 'Sure, first' }],
    continue_final_message: true,
  },
  {
    name: 'chatml continue + add_generation_prompt',
    tokenizer: 'fixture',
    messages: plain,
    continue_final_message: true,
    add_generation_prompt: true,
    error: { sameMessage: true },
  },
  { name: 'chatml empty conversation', tokenizer: 'fixture', messages: [], error: { sameMessage: true } },
  {
    name: 'chatml content None dropped',
    tokenizer: 'fixture',
    template: 'gaps',
    messages: [{ role: 'user', content: 'hi', name: null }],
  },
  ...both({
    name: 'llama2 system',
    tokenizer: 'fixture',
    template: 'llama2',
    messages: multi.slice(0, 3),
    kwargs: { bos_token: '<s>' },
  }),
  {
    name: 'llama2 alternation error',
    tokenizer: 'fixture',
    template: 'llama2',
    messages: [plain[0], plain[0]],
    kwargs: { bos_token: '<s>' },
    error: { sameMessage: true },
  },
  {
    name: 'llama2 undefined bos_token',
    tokenizer: 'fixture',
    template: 'llama2',
    messages: plain,
    error: { sameMessage: true },
  },
  ...both({ name: 'tools template', tokenizer: 'fixture', template: 'tools', messages: toolChat, tools }),
  ...both({ name: 'tools template no tools', tokenizer: 'fixture', template: 'tools', messages: toolChat.slice(0, 2) }),
  ...both({
    name: 'gaps',
    tokenizer: 'fixture',
    template: 'gaps',
    messages: toolChat,
    tools,
    kwargs: { enable_thinking: false, floats: [0.1, 1.5e-7, 123456789.125, 3.14159e-5, -2.5] },
  }),
  { name: 'crlf template', tokenizer: 'fixture', template: 'crlf', messages: multi },
  ...both({ name: 'generation spans', tokenizer: 'fixture', template: 'generation', messages: multi, mask: true }),
  { name: 'generation with reasoning aliases', tokenizer: 'fixture', template: 'gaps', messages: thinking },
  {
    name: 'error str + dict',
    tokenizer: 'fixture',
    template: 'strDict',
    messages: plain,
    error: { sameMessage: true },
  },
  { name: 'error str + int', tokenizer: 'fixture', template: 'strInt', messages: plain, error: { sameMessage: true } },
  {
    name: 'error None + int',
    tokenizer: 'fixture',
    template: 'noneAdd',
    messages: plain,
    error: { sameMessage: true },
  },
  { name: 'error 1 // 0', tokenizer: 'fixture', template: 'zeroDiv', messages: plain, error: { sameMessage: true } },
  {
    name: 'error undefined attribute',
    tokenizer: 'fixture',
    template: 'undefinedAttr',
    messages: plain,
    error: { sameMessage: true },
  },
  {
    name: 'error undefined + str',
    tokenizer: 'fixture',
    template: 'undefinedAdd',
    messages: plain,
    error: { sameMessage: true },
  },
  {
    name: 'error raise_exception',
    tokenizer: 'fixture',
    template: 'raise',
    messages: multi,
    error: { sameMessage: true },
  },
  {
    name: 'error raise_exception on line 5',
    tokenizer: 'fixture',
    template: 'raiseLine',
    messages: plain,
    error: { sameMessage: true },
  },
  { name: 'raise_exception not reached', tokenizer: 'fixture', template: 'raise', messages: plain },
  {
    name: 'error unsafe list.append',
    tokenizer: 'fixture',
    template: 'unsafe',
    messages: plain,
    error: { sameMessage: true },
  },
  {
    name: 'error tojson(undefined)',
    tokenizer: 'fixture',
    template: 'tojsonUndefined',
    messages: plain,
    error: { sameMessage: true },
  },
  {
    name: 'error namespace underscore',
    tokenizer: 'fixture',
    template: 'namespaceUnderscore',
    messages: plain,
    error: { sameMessage: true },
  },
  {
    name: 'error iterate None',
    tokenizer: 'fixture',
    template: 'notIterable',
    messages: plain,
    error: { sameMessage: true },
  },
  { name: 'syntax unclosed for', tokenizer: 'fixture', template: 'syntaxUnclosed', messages: plain, error: {} },
  { name: 'syntax bad expression', tokenizer: 'fixture', template: 'syntaxBadExpr', messages: plain, error: {} },
  { name: 'syntax unknown tag', tokenizer: 'fixture', template: 'syntaxUnknownTag', messages: plain, error: {} },
  { name: 'syntax stray endif', tokenizer: 'fixture', template: 'syntaxStrayEnd', messages: plain, error: {} },
  ...both({ name: 'qwen3 plain', tokenizer: 'qwen3', messages: system }),
  ...both({ name: 'qwen3 multi-turn', tokenizer: 'qwen3', messages: multi }),
  ...both({ name: 'qwen3 tools', tokenizer: 'qwen3', messages: toolChat, tools }),
  ...both({ name: 'qwen3 thinking', tokenizer: 'qwen3', messages: thinking, kwargs: { enable_thinking: false } }),
  {
    name: 'qwen3 continue_final_message',
    tokenizer: 'qwen3',
    messages: [...plain, { role: 'assistant', content: 'Sure: ' }],
    continue_final_message: true,
  },
  { name: 'qwen3 missing content', tokenizer: 'qwen3', messages: [{ role: 'user' }], error: { sameMessage: true } },
  ...both({ name: 'llama3 plain', tokenizer: 'llama3', messages: system }),
  ...both({ name: 'llama3 multi-turn', tokenizer: 'llama3', messages: multi }),
  { name: 'llama3 message without content', tokenizer: 'llama3', messages: [{ role: 'user' }] },
];
