import { extname } from 'node:path';
import { AppError } from '@flowloom/nodes';

/** File types the loaders read. */
export const FILE_TYPES = ['txt', 'md', 'html', 'json', 'csv', 'pdf'] as const;
export type FileType = (typeof FILE_TYPES)[number];

const BY_EXTENSION: Record<string, FileType> = {
  '.txt': 'txt',
  '.text': 'txt',
  '.log': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.mdx': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.json': 'json',
  '.csv': 'csv',
  '.pdf': 'pdf',
};

const BY_MEDIA_TYPE: Record<string, FileType> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/html': 'html',
  'application/json': 'json',
  'text/csv': 'csv',
  'application/pdf': 'pdf',
};

/** The type of a file from its name, then its media type; null when unsupported. */
export function fileTypeOf(name: string, mediaType?: string): FileType | null {
  const byName = BY_EXTENSION[extname(name).toLowerCase()];
  if (byName) return byName;
  const media = mediaType?.split(';')[0]?.trim().toLowerCase();
  return (media && BY_MEDIA_TYPE[media]) || null;
}

/** A loaded file: its text (markdown for md and html) and metadata to keep on every chunk. */
export interface LoadedText {
  text: string;
  type: FileType;
  metadata: Record<string, unknown>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** HTML to markdown-ish text: headings become `#` lines (for the markdown splitter), blocks become lines. */
export function htmlToText(html: string): { text: string; title?: string } {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style|noscript|template|head|svg)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (_, level: string, inner: string) => {
      const heading = inner
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      return `\n\n${'#'.repeat(Number(level))} ${heading}\n\n`;
    })
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|section|article|header|footer|main|ul|ol|table|tr|blockquote|pre|dl|dt|dd)\s*>/gi, '\n\n')
    .replace(/<\/(td|th)\s*>/gi, ' | ')
    .replace(/<[^>]+>/g, '');
  const clean = decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const decodedTitle = title ? decodeEntities(title).replace(/\s+/g, ' ').trim() : undefined;
  return decodedTitle ? { text: clean, title: decodedTitle } : { text: clean };
}

/** RFC 4180 CSV: quoted fields with commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((cell) => cell.trim() !== ''));
}

/** CSV rows as blocks of `header: value` lines separated by blank lines, so a chunk holds whole rows. */
export function csvToText(text: string): { text: string; rows: number } {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) return { text: '', rows: 0 };
  const blocks = rows.map((row) =>
    row
      .map((cell, i) => [header[i]?.trim() || `column${i + 1}`, cell.trim()] as const)
      .filter(([, cell]) => cell !== '')
      .map(([name, cell]) => `${name}: ${cell}`)
      .join('\n'),
  );
  return { text: blocks.join('\n\n'), rows: rows.length };
}

function flatten(value: unknown, path: string, lines: string[]): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) flatten(item, `${path}[${i}]`, lines);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) flatten(item, path ? `${path}.${key}` : key, lines);
  } else if (value !== null && value !== undefined && value !== '') {
    lines.push(path ? `${path}: ${String(value)}` : String(value));
  }
}

/** JSON as `path: value` lines; an array's items become separate blocks so chunks keep records whole. */
export function jsonToText(text: string, name: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new AppError('BAD_REQUEST', `${name} is not valid JSON: ${(err as Error).message}`, {
      details: [{ file: name, message: 'invalid JSON' }],
    });
  }
  const items = Array.isArray(value) ? value : [value];
  return items
    .map((item) => {
      const lines: string[] = [];
      flatten(item, '', lines);
      return lines.join('\n');
    })
    .filter(Boolean)
    .join('\n\n');
}

async function pdfToText(data: Uint8Array, name: string): Promise<{ text: string; pages: number }> {
  const { PDFParse } = await import('pdf-parse');
  // pdf.js may take ownership of the buffer it is given: pass a copy.
  const parser = new PDFParse({ data: new Uint8Array(data) });
  try {
    const result = await parser.getText();
    const pages = result.pages.map((page) => page.text.trim()).filter(Boolean);
    return { text: pages.join('\n\n'), pages: result.total };
  } catch (err) {
    throw new AppError('BAD_REQUEST', `${name} could not be read as PDF: ${(err as Error).message}`, {
      cause: err,
      details: [{ file: name, message: 'unreadable PDF' }],
    });
  } finally {
    await parser.destroy();
  }
}

/** Reads a file (txt, md, html, json, csv, pdf) into text. Unsupported or unreadable files are BAD_REQUEST. */
export async function loadFile(file: { name: string; data: Uint8Array; mediaType?: string }): Promise<LoadedText> {
  const type = fileTypeOf(file.name, file.mediaType);
  if (!type) {
    throw new AppError('BAD_REQUEST', `${file.name}: unsupported file type (use ${FILE_TYPES.join(', ')})`, {
      status: 415,
      details: [{ file: file.name, message: 'unsupported file type' }],
    });
  }
  const source = file.name;
  if (type === 'pdf') {
    const { text, pages } = await pdfToText(file.data, file.name);
    return { text, type, metadata: { source, type, pages } };
  }
  const raw = new TextDecoder('utf-8').decode(file.data);
  switch (type) {
    case 'html': {
      const { text, title } = htmlToText(raw);
      return { text, type, metadata: title ? { source, type, title } : { source, type } };
    }
    case 'json':
      return { text: jsonToText(raw, file.name), type, metadata: { source, type } };
    case 'csv': {
      const { text, rows } = csvToText(raw);
      return { text, type, metadata: { source, type, rows } };
    }
    default:
      return { text: raw.replace(/^\uFEFF/, ''), type, metadata: { source, type } };
  }
}
