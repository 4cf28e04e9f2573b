/**
 * Unpacking submitted archives safely: valid zip, tar.gz and tar; and every way an archive can
 * try to write outside its folder or exhaust the disk, which must fail as an ArchiveError (the
 * submission's error), never a crash and never a file outside the destination.
 */
import { deflateRawSync, gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Header } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { ArchiveError, archiveBaseName, archiveKind, ARCHIVE_LIMITS, safeEntryPath, unpackArchive } from '../src/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'dlkata-archive-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function dest(): string {
  const d = path.join(root, `out-${n++}`);
  mkdirSync(d);
  return d;
}

/** A zip with raw entry names and modes (yazl refuses the bad ones, which is the point). */
function rawZip(entries: { name: string; data?: string; mode?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const data = Buffer.from(e.data ?? '');
    const deflated = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, deflated);
    centrals.push(central, name);
    offset += 30 + name.length + deflated.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A tar with raw headers (any path, any type). */
function rawTar(entries: { path: string; data?: string; type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link'; linkpath?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = new Header({ path: e.path, mode: 0o644, size: e.type && e.type !== 'File' ? 0 : data.length, type: e.type ?? 'File', linkpath: e.linkpath, mtime: new Date(0), uid: 0, gid: 0 });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (data.length && (e.type ?? 'File') === 'File') blocks.push(Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function file(name: string, content: Buffer): string {
  const p = path.join(root, name);
  writeFileSync(p, content);
  return p;
}

async function goodZip(): Promise<string> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('export const a = 1;\n'), 'alice/01-gradient-check/gradient-check.ts');
  zip.addBuffer(Buffer.from('junk'), '__MACOSX/alice/._gradient-check.ts');
  zip.addBuffer(Buffer.from('junk'), 'alice/.DS_Store');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return file('good.zip', Buffer.concat(chunks));
}

async function rejects(archive: string, message: string | RegExp, limits = ARCHIVE_LIMITS): Promise<string> {
  const d = dest();
  const p = unpackArchive(archive, d, limits);
  await expect(p).rejects.toThrow(ArchiveError);
  await expect(unpackArchive(archive, dest(), limits)).rejects.toThrow(message);
  return d;
}

describe('names and kinds', () => {
  it('knows the archive kinds and strips their extensions', () => {
    expect(['a.zip', 'a.tar.gz', 'a.TGZ', 'a.tar', 'a.rar'].map(archiveKind)).toEqual(['zip', 'tar', 'tar', 'tar', null]);
    expect(archiveBaseName('alice.tar.gz')).toBe('alice');
  });

  it('accepts relative names and refuses escaping ones', () => {
    expect(safeEntryPath('./a//b/c.ts')).toBe('a/b/c.ts');
    for (const bad of ['../a', 'a/../../b', '/etc/passwd', 'C:/x', 'a\\b', 'a\0b', `${'d/'.repeat(20)}f`]) expect(() => safeEntryPath(bad), bad).toThrow(ArchiveError);
  });
});

describe('valid archives unpack', () => {
  it('zip: files in place, macOS metadata skipped', async () => {
    const d = dest();
    await unpackArchive(await goodZip(), d);
    expect(readFileSync(path.join(d, 'alice/01-gradient-check/gradient-check.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect(existsSync(path.join(d, '__MACOSX'))).toBe(false);
    expect(existsSync(path.join(d, 'alice/.DS_Store'))).toBe(false);
  });

  it('tar.gz and plain tar', async () => {
    const tar = rawTar([{ path: 'bob/', type: 'Directory' }, { path: 'bob/03-pooling/pool.ts', data: 'x'.repeat(700) }]);
    for (const [name, bytes] of [['b.tar.gz', gzipSync(tar)], ['b.tar', tar]] as const) {
      const d = dest();
      await unpackArchive(file(name, bytes), d);
      expect(readFileSync(path.join(d, 'bob/03-pooling/pool.ts'), 'utf8')).toBe('x'.repeat(700));
    }
  });
});

describe('hostile archives fail as ArchiveError and write nothing outside', () => {
  it('zip slip and absolute names', async () => {
    await rejects(file('slip.zip', rawZip([{ name: '../evil.ts', data: 'x' }])), /invalid relative path|may not contain/);
    await rejects(file('abs.zip', rawZip([{ name: '/tmp/evil-dlkata.ts', data: 'x' }])), /absolute path/);
    expect(existsSync(path.join(root, 'evil.ts'))).toBe(false);
    expect(existsSync('/tmp/evil-dlkata.ts')).toBe(false);
  });

  it('symbolic links in a zip', async () => {
    await rejects(file('link.zip', rawZip([{ name: 'a/link', data: '/etc/passwd', mode: 0o120777 }])), 'a symbolic link');
  });

  it('tar: .. paths, symbolic and hard links', async () => {
    await rejects(file('slip.tgz', gzipSync(rawTar([{ path: '../../evil.ts', data: 'x' }]))), "may not contain '..'");
    await rejects(file('sym.tgz', gzipSync(rawTar([{ path: 'a/link', type: 'SymbolicLink', linkpath: '/etc' }, { path: 'a/link/passwd', data: 'x' }]))), 'a symbolic link');
    await rejects(file('hard.tgz', gzipSync(rawTar([{ path: 'a/hard', type: 'Link', linkpath: '/etc/passwd' }]))), 'a hard link');
  });

  it('limits: entries, unpacked bytes (counted as written), the archive size', async () => {
    const small = { ...ARCHIVE_LIMITS, entries: 3, unpackedBytes: 1000, archiveBytes: 4000 };
    await rejects(file('many.zip', rawZip(['a', 'b', 'c', 'd'].map((x) => ({ name: `f/${x}.ts`, data: x })))), 'more than 3 entries', small);
    await rejects(file('big.zip', rawZip([{ name: 'f/zeros.bin', data: '\0'.repeat(5000) }])), /larger than|unpacks to more than/, small);
    await rejects(file('twohalves.tgz', gzipSync(rawTar([{ path: 'f/a', data: 'y'.repeat(600) }, { path: 'f/b', data: 'y'.repeat(600) }]))), 'unpacks to more than', small);
    await rejects(file('huge.zip', Buffer.alloc(5000)), 'larger than', small);
  });

  it('broken files and duplicate entries', async () => {
    await rejects(file('garbage.zip', Buffer.from('PK\x03\x04 this is not a zip')), 'not a valid zip archive');
    await rejects(file('garbage.tgz', Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5])), /not a valid (gzip|tar)/);
    await rejects(file('truncated.tgz', gzipSync(rawTar([{ path: 'a/b.ts', data: 'z'.repeat(2000) }])).subarray(0, 60)), /not a valid/);
    await rejects(file('twice.zip', rawZip([{ name: 'a/x.ts', data: '1' }, { name: 'a/x.ts', data: '2' }])), 'appears twice');
  });

  it('left nothing in the test folder but its own files', () => {
    const names = readdirSync(root).filter((x) => !x.startsWith('out-') && !/\.(zip|tgz|tar|gz)$/.test(x));
    expect(names).toEqual([]);
  });
});
