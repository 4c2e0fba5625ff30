// Python's datetime.strftime in the C locale (English names), on the local wall-clock fields of a Date,
// as `datetime.now().strftime(fmt)` gives them. Supports glibc's `%-d` style no-padding flag.
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad = (n: number, w: number, noPad: boolean, fill = '0'): string =>
  noPad ? String(n) : String(n).padStart(w, fill);

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86400000) + 1;
}

function weekNumber(d: Date, firstDay: 0 | 1): number {
  const yday = dayOfYear(d) - 1;
  const wday = (d.getDay() + 7 - firstDay) % 7;
  return Math.floor((yday + 7 - wday) / 7);
}

export function strftime(d: Date, fmt: string): string {
  return fmt.replace(/%(-?)([a-zA-Z%])/g, (m, dash: string, c: string) => {
    const np = dash === '-';
    const h = d.getHours();
    switch (c) {
      case 'a':
        return DAYS[d.getDay()].slice(0, 3);
      case 'A':
        return DAYS[d.getDay()];
      case 'w':
        return String(d.getDay());
      case 'u':
        return String(d.getDay() || 7);
      case 'd':
        return pad(d.getDate(), 2, np);
      case 'e':
        return pad(d.getDate(), 2, np, ' ');
      case 'b':
      case 'h':
        return MONTHS[d.getMonth()].slice(0, 3);
      case 'B':
        return MONTHS[d.getMonth()];
      case 'm':
        return pad(d.getMonth() + 1, 2, np);
      case 'y':
        return pad(d.getFullYear() % 100, 2, np);
      case 'Y':
        return String(d.getFullYear());
      case 'H':
        return pad(h, 2, np);
      case 'I':
        return pad(h % 12 || 12, 2, np);
      case 'p':
        return h < 12 ? 'AM' : 'PM';
      case 'M':
        return pad(d.getMinutes(), 2, np);
      case 'S':
        return pad(d.getSeconds(), 2, np);
      case 'f':
        return String(d.getMilliseconds() * 1000).padStart(6, '0');
      case 'j':
        return pad(dayOfYear(d), 3, np);
      case 'U':
        return pad(weekNumber(d, 0), 2, np);
      case 'W':
        return pad(weekNumber(d, 1), 2, np);
      case 'z':
      case 'Z':
        return ''; // naive datetime.now(): no zone
      case 'c':
        return `${DAYS[d.getDay()].slice(0, 3)} ${MONTHS[d.getMonth()].slice(0, 3)} ${pad(d.getDate(), 2, false, ' ')} ${strftime(d, '%H:%M:%S')} ${d.getFullYear()}`;
      case 'x':
        return strftime(d, '%m/%d/%y');
      case 'X':
      case 'T':
        return strftime(d, '%H:%M:%S');
      case 'D':
        return strftime(d, '%m/%d/%y');
      case 'F':
        return strftime(d, '%Y-%m-%d');
      case 'R':
        return strftime(d, '%H:%M');
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case '%':
        return dash ? m : '%';
      default:
        return m;
    }
  });
}

/** Parses the `now` setting: an ISO date; without a zone it is the local wall-clock time, like datetime.now(). */
export function parseNow(iso: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not an ISO date: ${JSON.stringify(iso)}`);
  return d;
}
