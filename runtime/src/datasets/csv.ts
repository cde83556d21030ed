/** One record of a CSV file and the line it starts on (1-based; quoted fields may span lines). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/** Where a CSV file cannot be read. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * Reads CSV as RFC 4180 writes it: comma-separated, fields optionally in double quotes (which may hold commas, quotes
 * doubled and line breaks), lines ending in CRLF or LF, a BOM ignored. Blank lines are skipped. Throws
 * `CsvSyntaxError` naming the line of an unterminated quote or of text after a closing quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let isQuoted = false;
  let wasQuoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '' && !wasQuoted)) records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
    wasQuoted = false;
  };
  for (; i < text.length; i++) {
    const char = text[i] as string;
    if (isQuoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else isQuoted = false;
      } else {
        if (char === '\n') line++;
        cell += char;
      }
      continue;
    }
    if (char === '"') {
      if (cell !== '' || wasQuoted) throw new CsvSyntaxError(line, 'a quote inside an unquoted field');
      isQuoted = true;
      wasQuoted = true;
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
      wasQuoted = false;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (wasQuoted)
        throw new CsvSyntaxError(line, 'text after a closing quote (a quote inside a field is written "")');
      cell += char;
    }
  }
  if (isQuoted) throw new CsvSyntaxError(recordLine, 'a quoted field is never closed');
  if (cell !== '' || cells.length > 0 || wasQuoted) endRecord();
  return records;
}

/** A field as CSV: quoted when it holds a comma, a quote, a line break or leading/trailing space. */
function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV text (CRLF line ends, as RFC 4180 has them) of a header and rows. */
export function writeCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}
