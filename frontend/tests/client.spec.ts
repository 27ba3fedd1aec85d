import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { api, setAuthHooks, unwrap } from '@/api/client'
import { ApiError, mapFieldErrors } from '@/api/errors'
import { json } from './helpers'

describe('API client middleware', () => {
  const fetchMock = vi.fn<(r: Request) => Promise<Response>>()
  const onUnauthorized = vi.fn()

  beforeEach(() => {
    fetchMock.mockReset()
    onUnauthorized.mockReset()
    vi.stubGlobal('fetch', fetchMock)
    setAuthHooks({ getToken: async () => 'tok-123', onUnauthorized })
  })
  afterEach(() => vi.unstubAllGlobals())

  it('sends the bearer token from the session', async () => {
    fetchMock.mockResolvedValue(json({ id: 1, email: 'a@example.com' }))
    await unwrap(api.GET('/api/v1/users/me'))
    const request = fetchMock.mock.calls[0]![0]
    expect(request.headers.get('Authorization')).toBe('Bearer tok-123')
    expect(new URL(request.url).pathname).toBe('/api/v1/users/me')
  })

  it('never sends a token to the dev sign-in endpoints', async () => {
    fetchMock.mockResolvedValue(json([]))
    await unwrap(api.GET('/api/v1/auth/dev/users'))
    expect(fetchMock.mock.calls[0]![0].headers.get('Authorization')).toBeNull()
  })

  it('omits the header when signed out', async () => {
    setAuthHooks({ getToken: async () => null, onUnauthorized })
    fetchMock.mockResolvedValue(json({}))
    await api.GET('/api/v1/users/me')
    expect(fetchMock.mock.calls[0]![0].headers.get('Authorization')).toBeNull()
  })

  it('sends no token when the session cannot produce one, and the 401 reaches the session owner', async () => {
    setAuthHooks({ getToken: async () => Promise.reject(new Error('dev sign-in disabled')), onUnauthorized })
    fetchMock.mockResolvedValue(json({ code: 'not_authenticated', message: 'No token.', details: {} }, 401))
    await expect(api.GET('/api/v1/users/me')).rejects.toMatchObject({ status: 401 })
    expect(fetchMock.mock.calls[0]![0].headers.get('Authorization')).toBeNull()
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('turns the error body into a typed ApiError with field errors', async () => {
    fetchMock.mockResolvedValue(
      json(
        { code: 'validation_error', message: 'Some fields are invalid.', details: { fields: { title: ['Too long.'], 'tags.0': ['Bad tag'] } } },
        422,
      ),
    )
    const error = await api.POST('/api/v1/users/me/tokens', { body: { name: 'x' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    const apiError = error as ApiError
    expect(apiError.status).toBe(422)
    expect(apiError.code).toBe('validation_error')
    expect(apiError.isValidation).toBe(true)
    expect(apiError.fieldErrors).toEqual({ title: ['Too long.'], 'tags.0': ['Bad tag'] })
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('reports a 401 to the session owner and still throws', async () => {
    fetchMock.mockResolvedValue(
      json({ code: 'not_authenticated', message: 'Expired.', details: {} }, 401, { 'WWW-Authenticate': 'Bearer' }),
    )
    await expect(api.GET('/api/v1/users/me')).rejects.toMatchObject({ status: 401, code: 'not_authenticated' })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('gives a generic ApiError for a non-JSON server failure', async () => {
    fetchMock.mockResolvedValue(new Response('<h1>Bad gateway</h1>', { status: 502 }))
    await expect(api.GET('/api/v1/users/me')).rejects.toMatchObject({ status: 502, code: 'server_error' })
  })

  it('marks 409 as a conflict', async () => {
    fetchMock.mockResolvedValue(json({ code: 'stale_version', message: 'Changed meanwhile.', details: {} }, 409))
    const error = (await api.GET('/api/v1/users/me').catch((e: unknown) => e)) as ApiError
    expect(error.isConflict).toBe(true)
    expect(error.message).toBe('Changed meanwhile.')
  })
})

describe('mapFieldErrors', () => {
  const error = new ApiError(422, {
    code: 'validation_error',
    message: 'Some fields are invalid.',
    details: { fields: { title: ['Required.', 'Too short.'], 'tags.1': ['Not a tag.'], __all__: ['Duplicate.'], secret: ['No.'] } },
  })

  it('puts messages on the fields the form shows and the rest on the form', () => {
    const mapped = mapFieldErrors(error, ['title', 'tags'] as const)
    expect(mapped.fields).toEqual({ title: 'Required. Too short.', tags: 'Not a tag.' })
    expect(mapped.form).toEqual(['Duplicate.', 'secret: No.'])
  })

  it('falls back to the message when there are no field errors', () => {
    const conflict = new ApiError(409, { code: 'conflict', message: 'Already decided.', details: {} })
    expect(mapFieldErrors(conflict, ['title'] as const)).toEqual({ fields: {}, form: ['Already decided.'] })
  })

  it('handles errors that are not from the API', () => {
    expect(mapFieldErrors(new Error('offline'), ['title'] as const).form).toEqual(['offline'])
  })

  it("puts the server's message on each field a refusal names (403 field_not_editable), never '0: tags'", () => {
    const refused = new ApiError(403, {
      code: 'field_not_editable',
      message: 'Only agents and admins can set tags or a due date.',
      details: { fields: ['tags', 'due_at'] },
    })
    const mapped = mapFieldErrors(refused, ['title', 'tags'] as const)
    expect(mapped.fields).toEqual({ tags: 'Only agents and admins can set tags or a due date.' })
    expect(mapped.form).toEqual(['due_at: Only agents and admins can set tags or a due date.'])
  })
})
