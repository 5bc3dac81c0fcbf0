/**
 * HealthImaging's error shapes (restJson1): the HTTP status, the type in the `x-amzn-ErrorType`
 * header, and `{ "message": … }` as the body. Statuses are those the SDK's error schemas declare.
 */
export const ERROR_STATUS = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  InternalServerException: 500,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

export class ServiceError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }

  get status(): number {
    return ERROR_STATUS[this.type];
  }
}
