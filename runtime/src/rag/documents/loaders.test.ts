import { describe, expect, it } from 'vitest';
import { csvToText, fileTypeOf, htmlToText, loadFile, parseCsv } from './loaders.js';
import { makePdf } from './make-pdf.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('fileTypeOf', () => {
  it('goes by extension, then media type', () => {
    expect(fileTypeOf('a.MD')).toBe('md');
    expect(fileTypeOf('page.htm')).toBe('html');
    expect(fileTypeOf('blob', 'application/pdf')).toBe('pdf');
    expect(fileTypeOf('x.exe', 'application/octet-stream')).toBeNull();
  });
});

describe('htmlToText', () => {
  it('drops scripts and styles, keeps headings as markdown and decodes entities', () => {
    const { text, title } = htmlToText(
      '<html><head><title>Help &amp; FAQ</title><style>p{}</style></head><body><script>alert(1)</script>' +
        '<h1>Billing</h1><p>Pay &lt;monthly&gt;&nbsp;or&#32;yearly.</p><ul><li>Card</li><li>Invoice</li></ul></body></html>',
    );
    expect(title).toBe('Help & FAQ');
    expect(text).toBe('# Billing\n\nPay <monthly> or yearly.\n\n- Card\n- Invoice');
  });
});

describe('csv', () => {
  it('parses quotes, escaped quotes and newlines in fields', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere"\r\n1,2\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere'],
      ['1', '2'],
    ]);
  });
  it('turns rows into header: value blocks', () => {
    expect(csvToText('name,plan\nAda,pro\nBob,')).toEqual({ text: 'name: Ada\nplan: pro\n\nname: Bob', rows: 2 });
  });
});

describe('loadFile', () => {
  it('reads txt and md as they are', async () => {
    expect(await loadFile({ name: 'a.txt', data: bytes('\uFEFFhello') })).toEqual({
      text: 'hello',
      type: 'txt',
      metadata: { source: 'a.txt', type: 'txt' },
    });
    expect((await loadFile({ name: 'r.md', data: bytes('# T\nbody') })).text).toBe('# T\nbody');
  });

  it('flattens JSON to path: value lines, one block per array item', async () => {
    const loaded = await loadFile({
      name: 'faq.json',
      data: bytes(
        JSON.stringify([
          { q: 'Refunds?', a: { text: 'Prorated.' } },
          { q: 'Invoices?', tags: ['billing'] },
        ]),
      ),
    });
    expect(loaded.text).toBe('q: Refunds?\na.text: Prorated.\n\nq: Invoices?\ntags[0]: billing');
  });

  it('reads CSV rows and HTML pages', async () => {
    expect(await loadFile({ name: 'p.csv', data: bytes('k,v\n1,2') })).toMatchObject({
      text: 'k: 1\nv: 2',
      metadata: { rows: 1 },
    });
    expect(await loadFile({ name: 'p.html', data: bytes('<h2>Hi</h2>') })).toMatchObject({
      text: '## Hi',
      type: 'html',
    });
  });

  it('extracts the text of a PDF', async () => {
    const loaded = await loadFile({
      name: 'manual.pdf',
      data: makePdf(['Chroma keeps vectors.', 'Flowloom ingests PDFs.']),
    });
    expect(loaded.type).toBe('pdf');
    expect(loaded.metadata).toMatchObject({ source: 'manual.pdf', pages: 1 });
    expect(loaded.text).toContain('Chroma keeps vectors.');
    expect(loaded.text).toContain('Flowloom ingests PDFs.');
  });

  it('refuses unsupported types, invalid JSON and broken PDFs with BAD_REQUEST naming the file', async () => {
    await expect(loadFile({ name: 'x.exe', data: bytes('MZ') })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      status: 415,
      details: [{ file: 'x.exe' }],
    });
    await expect(loadFile({ name: 'bad.json', data: bytes('{oops') })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: [{ file: 'bad.json' }],
    });
    await expect(loadFile({ name: 'bad.pdf', data: bytes('not a pdf') })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: [{ file: 'bad.pdf' }],
    });
  });
});
