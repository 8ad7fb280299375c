// Why a file cannot be read or written, in words a user can act on: the filesystem's error codes and the folder's access, read where they can be.
import { accessSync, constants, existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputFileError } from './errors.js';

/** Plain words for the filesystem error codes a write meets; null for a code without them. */
function fileErrorWords(code: string | undefined): string | null {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the filesystem is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOTDIR':
      return 'a part of its path is not a folder';
    case 'ENOENT':
      return 'its folder does not exist';
    default:
      return null;
  }
}

/**
 * Plain words for the filesystem error codes a read meets (`what`: what the file should have been, for a folder given
 * instead); null for a code without them.
 */
export function readErrorWords(code: string | undefined, what: string): string | null {
  switch (code) {
    case 'ENOENT':
      return 'there is no such file';
    case 'EISDIR':
      return `it is a folder; give the path of ${what}`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of its path is not a folder';
    default:
      return null;
  }
}

/**
 * Why a file cannot be created or written at `path`, when the filesystem shows it: the file is a folder or cannot be
 * written, the nearest existing folder above it is a file, cannot be written or is on a read-only filesystem, or (when
 * the caller does not create folders) its folder does not exist. Null when none of these holds (the cause is elsewhere).
 * Root passes every permission check, so as root only the other causes are found.
 */
export function whyNotWritable(path: string, options: { readonly createsFolders?: boolean } = {}): string | null {
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) return `${path} is a folder`;
    const denied = accessProblem(path);
    if (denied !== null) return `${denied}: ${path} cannot be written`;
  }
  const folder = dirname(path);
  let existing = folder;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return `${existing} is not a folder`;
  const denied = accessProblem(existing);
  if (denied !== null) return existing === folder ? `${denied}: cannot create files in ${folder}` : `${denied}: cannot create ${folder} in ${existing}`;
  if (existing !== folder && options.createsFolders !== true) return `no such folder ${folder}`;
  return null;
}

/** The words for why `path` cannot be written by this process, or null when it can. */
function accessProblem(path: string): string | null {
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fileErrorWords(code) ?? code ?? 'not writable';
  }
}

/** The one line for a write to standard output that failed (a full disk, a device error): where, and why in plain words. */
export function standardOutputFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return `cannot write the output to standard output: ${fileErrorWords(code) ?? (e instanceof Error ? e.message : String(e))}`;
}

/** The temporary file an output is written to beside `path` and renamed from, so a failed write leaves no half-written `path`. */
export function temporaryPathOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

/**
 * The error of a failed write of `--out path` (`what` says what was being written): the temporary file is removed and
 * the message names `path` and why, never the temporary file. An error that is not the filesystem's is `null`.
 */
export function outputFileError(path: string, what: string, e: unknown): OutputFileError | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return null;
  try {
    rmSync(temporaryPathOf(path), { force: true });
  } catch {
    // nothing was written there (its folder cannot be reached)
  }
  // The folder's access says more than the code (which folder, and that it is the folder): asked first.
  return unwritableOutput(path, what, whyNotWritable(path) ?? refusedByFilesystem(path, code) ?? fileErrorWords(code) ?? (e as Error).message);
}

/**
 * Why a file could not be created in a folder that exists: ENOENT there means the folder's filesystem makes no files
 * on request (/proc, /sys), not that the folder is missing. Null for another code, or when the folder is gone.
 */
function refusedByFilesystem(path: string, code: string): string | null {
  if (code !== 'ENOENT') return null;
  const folder = dirname(path);
  try {
    if (!statSync(folder).isDirectory()) return null;
  } catch {
    return null;
  }
  return `${folder} takes no new files (its filesystem refused to create one there, though the folder exists)`;
}

/** `--out path` cannot take `what`, for the reason `why`. */
export function unwritableOutput(path: string, what: string, why: string): OutputFileError {
  return new OutputFileError(`--out ${path}: cannot write ${what}: ${why}`, path);
}

/** Whether two paths name one file: the same path, or one file on disk (a link, `./`, `..`); false when either cannot be reached. */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    // Either cannot be reached (missing, or under a file: ENOTDIR): not one file. A write to it says why on its own.
    return false;
  }
}
