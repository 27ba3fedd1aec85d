/** The API's one error shape (API.md "Errors"), as a throwable, typed value. */
export interface ErrorBody {
  code: string
  message: string
  details: Record<string, unknown>
}

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, unknown>

  constructor(status: number, body: ErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.status = status
    this.code = body.code
    this.details = body.details
  }

  /**
   * `details.fields`, normalised to lists of messages: a 422 maps each field to its messages; a
   * refusal about fields (403 `field_not_editable`) lists the field names, and the server's
   * message belongs on each of them.
   */
  get fieldErrors(): FieldErrors {
    const raw = this.details.fields
    if (!raw || typeof raw !== 'object') return {}
    const out: FieldErrors = {}
    if (Array.isArray(raw)) {
      for (const name of raw) if (typeof name === 'string') out[name] = [this.message]
      return out
    }
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (Array.isArray(value)) out[name] = value.map(String)
      else if (value != null) out[name] = [String(value)]
    }
    return out
  }

  get isValidation(): boolean {
    return this.status === 422
  }

  get isConflict(): boolean {
    return this.status === 409
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorBody).code === 'string' &&
    typeof (value as ErrorBody).message === 'string'
  )
}

/** Build an ApiError from any failed response, even one whose body is not the API's shape. */
export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  let payload: unknown = null
  try {
    payload = await response.clone().json()
  } catch {
    payload = null
  }
  if (isErrorBody(payload)) {
    return new ApiError(response.status, {
      code: payload.code,
      message: payload.message,
      details: payload.details && typeof payload.details === 'object' ? payload.details : {},
    })
  }
  return new ApiError(response.status, {
    code: response.status >= 500 ? 'server_error' : 'http_error',
    message: response.status >= 500 ? 'The server had a problem. Please try again.' : `Request failed (${response.status}).`,
    details: {},
  })
}

/**
 * Map field errors onto a form's fields. Errors for names the form doesn't show (or the
 * schema-level `__all__`/`non_field_errors`) come back under `form` so nothing is dropped.
 */
export function mapFieldErrors<F extends string>(
  error: unknown,
  formFields: readonly F[],
): { fields: Partial<Record<F, string>>; form: string[] } {
  const fields: Partial<Record<F, string>> = {}
  const form: string[] = []
  if (!(error instanceof ApiError)) {
    form.push(error instanceof Error ? error.message : 'Something went wrong.')
    return { fields, form }
  }
  const fieldErrors = error.fieldErrors
  if (Object.keys(fieldErrors).length === 0) {
    form.push(error.message)
    return { fields, form }
  }
  for (const [name, messages] of Object.entries(fieldErrors)) {
    // Nested locations ("tags.0", "payload.title") belong to the first part the form knows.
    const parts = name.split('.')
    const key = parts.find((part) => (formFields as readonly string[]).includes(part)) ?? parts[parts.length - 1] ?? name
    if ((formFields as readonly string[]).includes(key)) fields[key as F] = messages.join(' ')
    else form.push(...messages.map((m) => (key === '__all__' || key === 'non_field_errors' ? m : `${key}: ${m}`)))
  }
  return { fields, form }
}
