/**
 * `clearhouse users add NAME --role ROLE`: enrols a person for the HTTP API (docs/api.md). Prints, once,
 * the password (generated, unless --password-stdin gives one) and the TOTP secret as an otpauth:// URI
 * for an authenticator app; neither can be shown again (only the scrypt hash and the secret are stored).
 * Exit codes: 0 enrolled, 1 the name is taken, 2 usage or configuration error.
 */
import type { Command } from 'commander';
import { generatePassword, hashPassword, newTotpSecret, otpauthUri } from '../api/credentials.ts';
import { PERSON_ROLES, type PersonRole } from '../engine/access.ts';
import { withEngine, type CommonOptions } from './clearing.ts';

interface UsersAddOptions extends CommonOptions {
  readonly role: string;
  readonly passwordStdin?: boolean;
}

const NAME = /^[a-z][a-z0-9._-]{1,63}$/;
const PASSWORD_LENGTH_MIN = 12;

export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('people of the HTTP API (docs/api.md)');
  users
    .command('add')
    .description('enrol a person: prints the password and the TOTP otpauth:// URI once')
    .argument('<name>', 'login name: lower case letters, digits, ".", "_" or "-", 2..64 characters')
    .requiredOption('--role <role>', `one of ${PERSON_ROLES.join(', ')}`)
    .option('--password-stdin', `read the password from standard input (at least ${PASSWORD_LENGTH_MIN} characters) instead of generating one`)
    .option('--config <file>', 'scheme configuration')
    .action(async (name: string, options: UsersAddOptions) => {
      process.exitCode = await usersAdd(name, options);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function usersAdd(name: string, options: UsersAddOptions): Promise<number> {
  if (!NAME.test(name)) {
    process.stderr.write(`clearhouse users add: ${JSON.stringify(name)} is not a login name (lower case letters, digits, ".", "_", "-"; 2..64)\n`);
    return 2;
  }
  if (!(PERSON_ROLES as readonly string[]).includes(options.role)) {
    process.stderr.write(`clearhouse users add: --role takes one of ${PERSON_ROLES.join(', ')} (participants use their certificates)\n`);
    return 2;
  }
  const generated = !options.passwordStdin;
  const password = generated ? generatePassword() : await readStdin();
  if (password.length < PASSWORD_LENGTH_MIN) {
    process.stderr.write(`clearhouse users add: the password needs at least ${PASSWORD_LENGTH_MIN} characters\n`);
    return 2;
  }
  const secret = newTotpSecret();
  const passwordHash = await hashPassword(password);
  return withEngine(options, async (engine, config) => {
    const added = await engine.access().addUser({ name, role: options.role as PersonRole, passwordHash, totpSecret: secret }, engine.clock.now());
    if (!added) {
      process.stderr.write(`clearhouse users add: ${name} exists already\n`);
      return 1;
    }
    process.stdout.write(`enrolled ${name} as ${options.role}\n` +
      (generated ? `password: ${password}\n` : '') +
      `totp: ${otpauthUri(`clearhouse ${config.name}`, name, secret)}\n` +
      'Shown once: give them to the person over a trusted channel; the switch keeps only the password hash and the secret.\n');
    return 0;
  });
}
