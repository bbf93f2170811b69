import Testing

@testable import MeteringCollector

@Suite struct AuthMiddlewareTests {
    @Test("Bearer TOKEN: the scheme in any case, one space, a token that is not empty")
    func bearerToken() {
        #expect(AuthMiddleware.bearerToken("Bearer smk_abc") == "smk_abc")
        #expect(AuthMiddleware.bearerToken("bearer smk_abc") == "smk_abc")
        #expect(AuthMiddleware.bearerToken("BEARER smk_abc") == "smk_abc")
        #expect(AuthMiddleware.bearerToken("Bearer ") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer") == nil)
        #expect(AuthMiddleware.bearerToken("Basic dXNlcjpwYXNz") == nil)
        #expect(AuthMiddleware.bearerToken("Bearerx smk_abc") == nil)
        #expect(AuthMiddleware.bearerToken("Bearér smk") == nil)
        #expect(AuthMiddleware.bearerToken("") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer\u{0}smk_abc") == nil)
    }
}
