import { badInput } from '@vigil/lib/errors';

/** A DateTime argument as a Date; BAD_USER_INPUT naming it when it is none, or outside the years LogsQL can print (0000-9999). */
export function parseDateArgument(name: string, value: string): Date {
  const date = new Date(value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) throw badInput(`${name}: ${JSON.stringify(value.slice(0, 40))} is not an ISO-8601 date-time`);
  return date;
}
