/** The e-mail address (compared case-insensitively) belongs to another user; nothing was written. */
export class DuplicateEmailError extends Error {
  constructor(readonly email: string) {
    super(`${email} is already registered`);
    this.name = 'DuplicateEmailError';
  }
}

/** A user with this id is already registered; nothing was written. */
export class AlreadyRegisteredError extends Error {
  constructor(readonly userId: string) {
    super(`user ${userId} is already registered`);
    this.name = 'AlreadyRegisteredError';
  }
}
