package mockprove_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("POST /token", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory()
	})

	DescribeTable("mints a bearer token for each built-in client",
		func(id, secret, product string) {
			r := c.token(id, secret)
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Header.Get("Content-Type")).To(Equal("application/json"))
			Expect(r.Body).To(HaveKeyWithValue("token_type", "Bearer"))
			Expect(r.Body).To(HaveKeyWithValue("expires_in", BeNumerically("==", 3600)))
			Expect(r.Body).NotTo(HaveKey("refresh_token"))

			header, claims := decodeJWT(r.Str("access_token"))
			Expect(header).To(Equal(map[string]any{"alg": "HS256", "typ": "JWT"}))
			Expect(claims).To(HaveKeyWithValue("iss", memBase+"/"))
			Expect(claims).To(HaveKeyWithValue("sub", id))
			Expect(claims).To(HaveKeyWithValue("azp", id))
			Expect(claims).To(HaveKeyWithValue("product", product))
			Expect(claims).To(HaveKeyWithValue("iat", BeNumerically("==", testkit.T0.Unix())))
			Expect(claims).To(HaveKeyWithValue("exp", BeNumerically("==", testkit.T0.Add(time.Hour).Unix())))
			Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/token"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("ok"))
		},
		Entry("Prove Identity", identityID, identitySecret, mockprove.ProductIdentity),
		Entry("Pre-Fill", prefillID, prefillSecret, mockprove.ProductPrefill),
	)

	It("sets iat and exp from the emulator's clock, not the wall clock", func() {
		c.srv.FastForward(90 * time.Minute)
		_, claims := decodeJWT(c.mustToken(identityID, identitySecret))
		Expect(claims).To(HaveKeyWithValue("iat", BeNumerically("==", testkit.T0.Add(90*time.Minute).Unix())))
		Expect(claims).To(HaveKeyWithValue("exp", BeNumerically("==", testkit.T0.Add(150*time.Minute).Unix())))
	})

	It("mints a different token on each call", func() {
		Expect(c.mustToken(identityID, identitySecret)).NotTo(Equal(c.mustToken(identityID, identitySecret)))
	})

	It("keeps the payload free of '-' and '_' so that atob() can decode it", func() {
		for range 20 {
			tok := c.mustToken(prefillID, prefillSecret)
			payload := strings.Split(tok, ".")[1]
			Expect(payload).NotTo(ContainSubstring("-"))
			Expect(payload).NotTo(ContainSubstring("_"))
			_, err := base64.RawStdEncoding.DecodeString(payload)
			Expect(err).NotTo(HaveOccurred())
		}
	})

	It("accepts and ignores a scope", func() {
		r := c.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {identityID},
			"client_secret": {identitySecret}, "scope": {"openid"}})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Str("access_token")).NotTo(BeEmpty())
	})

	It("issues a token that /v3/start accepts", func() {
		c.login(identityID, identitySecret)
		Expect(c.startWith(map[string]any{"phoneNumber": testkit.Milo}).Status).To(Equal(http.StatusOK))
	})

	DescribeTable("refuses wrong credentials with 401 code 8002",
		func(id, secret string) {
			r := c.token(id, secret)
			expectError(r, http.StatusUnauthorized, mockprove.CodeUnauthorized, "invalid client_id or client_secret")
			Expect(r.Body).NotTo(HaveKey("access_token"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("auth.credentials"))
		},
		Entry("wrong secret", identityID, "wrong"),
		Entry("unknown client", "nobody", identitySecret),
		Entry("another client's secret", prefillID, identitySecret),
		Entry("secret with different case", identityID, strings.ToUpper(identitySecret)),
	)

	DescribeTable("refuses a malformed request with 400 code 8001 naming the field",
		func(form url.Values, msg string) {
			expectError(c.tokenForm(form), http.StatusBadRequest, mockprove.CodeMalformed, msg)
		},
		Entry("grant type password",
			url.Values{"grant_type": {"password"}, "client_id": {identityID}, "client_secret": {identitySecret}},
			"field 'grant_type' must be one of: client_credentials"),
		Entry("grant type authorization_code",
			url.Values{"grant_type": {"authorization_code"}, "client_id": {identityID}, "client_secret": {identitySecret}},
			"field 'grant_type' must be one of: client_credentials"),
		Entry("no grant type",
			url.Values{"client_id": {identityID}, "client_secret": {identitySecret}},
			"field 'grant_type' is missing"),
		Entry("no client_id",
			url.Values{"grant_type": {"client_credentials"}, "client_secret": {identitySecret}},
			"field 'client_id' is missing"),
		Entry("no client_secret",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {identityID}},
			"field 'client_secret' is missing"),
		Entry("empty client_id",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {""}, "client_secret": {identitySecret}},
			"field 'client_id' must not be empty"),
		Entry("an unknown field",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {identityID}, "client_secret": {identitySecret}, "username": {"x"}},
			"field 'username' is not allowed"),
	)

	It("refuses a JSON body: the token request is form-encoded", func() {
		body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": identityID, "client_secret": identitySecret})
		r := c.send(http.MethodPost, "/token", "application/json", string(body))
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "Content-Type must be application/x-www-form-urlencoded")
	})

	It("refuses a form that cannot be decoded", func() {
		r := c.send(http.MethodPost, "/token", "application/x-www-form-urlencoded", "grant_type=%zz")
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "could not be decoded")
	})

	It("answers 405 code 8001 to GET", func() {
		r := c.send(http.MethodGet, "/token", "", "")
		expectError(r, http.StatusMethodNotAllowed, mockprove.CodeMalformed, "method GET is not allowed on /token")
	})

	Context("with Options.Clients", func() {
		BeforeEach(func() {
			c = inMemory(mockprove.Options{Clients: []mockprove.Client{
				{ID: "acme", Secret: "s3cret", Product: mockprove.ProductPrefill},
			}})
		})

		It("knows the configured clients", func() {
			_, claims := decodeJWT(c.mustToken("acme", "s3cret"))
			Expect(claims).To(HaveKeyWithValue("sub", "acme"))
			Expect(claims).To(HaveKeyWithValue("product", mockprove.ProductPrefill))
		})

		It("no longer knows the built-in clients", func() {
			expectError(c.token(identityID, identitySecret), http.StatusUnauthorized, mockprove.CodeUnauthorized, "invalid client_id")
		})
	})

	DescribeTable("New refuses a bad client list",
		func(clients []mockprove.Client, msg string) {
			s, err := mockprove.New(mockprove.Options{Clients: clients})
			Expect(err).To(MatchError(ContainSubstring(msg)))
			Expect(s).To(BeNil())
		},
		Entry("no secret", []mockprove.Client{{ID: "a", Product: mockprove.ProductIdentity}}, `client "a": id and secret are required`),
		Entry("no id", []mockprove.Client{{Secret: "s", Product: mockprove.ProductIdentity}}, "id and secret are required"),
		Entry("unknown product", []mockprove.Client{{ID: "a", Secret: "s", Product: "kyc"}}, `product must be "identity" or "prefill", not "kyc"`),
		Entry("a client twice", []mockprove.Client{
			{ID: "a", Secret: "s", Product: mockprove.ProductIdentity},
			{ID: "a", Secret: "t", Product: mockprove.ProductPrefill},
		}, `client "a" is configured twice`),
	)
})

var _ = Describe("Authorization on the /v3 API", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(identityID, identitySecret)
	})

	// withAuth sends a valid /v3/start with the given Authorization header
	// ("" for none).
	withAuth := func(auth string) result {
		req := c.request(http.MethodPost, "/v3/start", "application/json",
			[]byte(`{"flowType":"mobile","phoneNumber":"`+testkit.Milo+`"}`))
		req.Header.Del("Authorization")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return c.do(req)
	}

	// forge re-signs nothing: it swaps the claims of a genuine token.
	forge := func(tok string, claims map[string]any) string {
		parts := strings.Split(tok, ".")
		raw, err := json.Marshal(claims)
		Expect(err).NotTo(HaveOccurred())
		parts[1] = base64.RawURLEncoding.EncodeToString(raw)
		return strings.Join(parts, ".")
	}

	It("accepts the token with the Bearer scheme in any case", func() {
		Expect(withAuth("Bearer " + c.bearer).Status).To(Equal(http.StatusOK))
		Expect(withAuth("bearer " + c.bearer).Status).To(Equal(http.StatusOK))
	})

	DescribeTable("refuses with 401 code 8002",
		func(auth func() string, msg string) {
			r := withAuth(auth())
			expectError(r, http.StatusUnauthorized, mockprove.CodeUnauthorized, msg)
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("auth"))
		},
		Entry("no Authorization header", func() string { return "" }, "Authorization header is missing"),
		Entry("Basic credentials", func() string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(identityID+":"+identitySecret))
		}, "must be 'Bearer <access_token>'"),
		Entry("Bearer without a token", func() string { return "Bearer" }, "must be 'Bearer <access_token>'"),
		Entry("Bearer and a space", func() string { return "Bearer " }, "must be 'Bearer <access_token>'"),
		Entry("the token without a scheme", func() string { return c.bearer }, "must be 'Bearer <access_token>'"),
		Entry("not a JWT", func() string { return "Bearer not-a-token" }, "access token is invalid"),
		Entry("a JWT with four parts", func() string { return "Bearer " + c.bearer + ".x" }, "access token is invalid"),
		Entry("a truncated signature", func() string { return "Bearer " + c.bearer[:len(c.bearer)-2] }, "access token is invalid"),
		Entry("claims swapped for another client's", func() string {
			_, claims := decodeJWT(c.bearer)
			claims["sub"], claims["product"] = prefillID, mockprove.ProductPrefill
			return "Bearer " + forge(c.bearer, claims)
		}, "access token is invalid"),
		Entry("exp pushed into the future", func() string {
			_, claims := decodeJWT(c.bearer)
			claims["exp"] = testkit.T0.Add(100 * 24 * time.Hour).Unix()
			return "Bearer " + forge(c.bearer, claims)
		}, "access token is invalid"),
		Entry("alg none", func() string {
			parts := strings.Split(c.bearer, ".")
			none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			return "Bearer " + none + "." + parts[1] + "."
		}, "access token is invalid"),
		Entry("a token of another mockprove (another key)", func() string {
			other := inMemory(mockprove.Options{Seed: 7})
			return "Bearer " + other.mustToken(identityID, identitySecret)
		}, "access token is invalid"),
		Entry("the flow's authToken instead of an access token", func() string {
			r := c.startWith(map[string]any{"phoneNumber": testkit.Milo})
			Expect(r.Status).To(Equal(http.StatusOK))
			return "Bearer " + r.Str("authToken")
		}, "access token is invalid"),
	)

	It("refuses an expired token on the emulator's clock, and a new token works", func() {
		c.srv.FastForward(mockprove.AccessTokenTTL - time.Second)
		Expect(withAuth("Bearer " + c.bearer).Status).To(Equal(http.StatusOK))

		c.srv.FastForward(time.Second)
		expectError(withAuth("Bearer "+c.bearer), http.StatusUnauthorized, mockprove.CodeUnauthorized, "access token has expired")

		c.login(identityID, identitySecret)
		Expect(withAuth("Bearer " + c.bearer).Status).To(Equal(http.StatusOK))
	})

	DescribeTable("every /v3 step needs the token, before the body is even looked at",
		func(path string) {
			c.bearer = ""
			r := c.send(http.MethodPost, path, "application/json", `{"correlationId":`)
			expectError(r, http.StatusUnauthorized, mockprove.CodeUnauthorized, "Authorization header is missing")
		},
		Entry(nil, "/v3/start"),
		Entry(nil, "/v3/validate"),
		Entry(nil, "/v3/challenge"),
		Entry(nil, "/v3/complete"),
	)
})
