package mockprove

// Phone numbers of the default personas (specs/personas.yaml), one constant
// per persona, named after it. A test keeps this list and the personas file in
// step: a persona added to the file needs its constant here.
const (
	// PhoneMiloPinson is Milo Pinson. Prove sandbox (Pre-Fill / Prove Identity): short-term user,
	// no client SDK needed; passes the whole flow with curl or Postman.
	PhoneMiloPinson = "2001001695"

	// PhoneMarciaLongo is Marcia Longo. Prove sandbox (Pre-Fill / Prove Identity): test user with
	// two addresses (the second from Prove's newer page); needs the client SDK possession step
	// (OTP 1234 or Instant Link) before /v3/validate passes.
	PhoneMarciaLongo = "2001001693"

	// PhoneNevinChattey is Nevin Chattey. Prove sandbox (Pre-Fill / Prove Identity): test user;
	// needs the client SDK possession step (OTP 1234 or Instant Link) before /v3/validate passes.
	PhoneNevinChattey = "2001001688"

	// PhoneAgrethaChene is Agretha Chene. Prove sandbox (Pre-Fill / Prove Identity): test user;
	// needs the client SDK possession step (OTP 1234 or Instant Link) before /v3/validate passes.
	PhoneAgrethaChene = "2001001687"

	// PhoneCatheeSimmonett is Cathee Simmonett. Prove sandbox (Pre-Fill / Prove Identity): Mobile
	// Auth add-on user; possession passes silently by Mobile Auth, no SMS.
	PhoneCatheeSimmonett = "5550000000"

	// PhoneVanMoors is Van Moors. Prove sandbox (Pre-Fill / Prove Identity): Mobile Auth add-on
	// user; possession passes silently by Mobile Auth, no SMS. Prove does not publish his SSN (it
	// starts with 4) or email: mockprove uses SSN 400000000 and vmoors@example.com.
	PhoneVanMoors = "5555555555"

	// PhoneMartinaGoodram is Martina Goodram. Prove sandbox (Prove Identity with KYC): short-term
	// user, no client SDK needed; passes the whole flow with curl or Postman; KYC with 0 hits.
	PhoneMartinaGoodram = "2001004000"

	// PhoneBenjiHarper is Benji Harper. Prove sandbox (Prove Identity with KYC): test user, KYC
	// with 0 hits; needs the client SDK possession step (OTP 1234 or Instant Link) before
	// /v3/validate passes.
	PhoneBenjiHarper = "2001004009"

	// PhoneEnidWildt is Enid Wildt. Prove sandbox (Prove Identity with KYC): test user, KYC with 0
	// hits; needs the client SDK possession step (OTP 1234 or Instant Link) before /v3/validate
	// passes.
	PhoneEnidWildt = "2001001698"

	// PhoneCarneyReinisch is Carney Reinisch. Prove sandbox (Prove Identity with KYC): test user,
	// KYC with 0 hits; needs the client SDK possession step (OTP 1234 or Instant Link) before
	// /v3/validate passes.
	PhoneCarneyReinisch = "2001001699"

	// PhoneDanaWhitfield is Dana Whitfield. Fails /v3/validate (possession ok, phone not
	// validated): success false, next done.
	PhoneDanaWhitfield = "2009990001"

	// PhoneMarcusEllery is Marcus Ellery. Fails /v3/challenge (Pre-Fill): validate passes,
	// challenge answers success false, next done.
	PhoneMarcusEllery = "2009990002"

	// PhonePriyaRamanathan is Priya Ramanathan. Fails /v3/complete: validate and challenge pass,
	// complete answers success false, next done.
	PhonePriyaRamanathan = "2009990003"

	// PhoneHaroldWhitcomb is Harold Whitcomb. KYC with AML hits: /v3/complete passes with high CIP
	// confidence and kyc totalHits 4 (3 PEP hits, 1 sanctions hit; fictional list data).
	PhoneHaroldWhitcomb = "2009990004"

	// PhoneLenaKowalczyk is Lena Kowalczyk. Low CIP confidence: /v3/complete answers with
	// multiCIPConfidence low, reason codes DI and NS, and partial name and address matches.
	PhoneLenaKowalczyk = "2009990005"

	// PhoneTheoBrandt is Theo Brandt. Pre-Fill only: Identity clients get 403 code 8009 (sandbox
	// test user access denied).
	PhoneTheoBrandt = "2009990006"

	// PhoneRosaDelgado is Rosa Delgado. Prove Identity only: Pre-Fill clients get 403 code 8009
	// (sandbox test user access denied).
	PhoneRosaDelgado = "2009990007"

	// PhoneOwenSinclair is Owen Sinclair. Internal error at /v3/start: HTTP 500 code 8000.
	PhoneOwenSinclair = "2009990010"

	// PhoneGraceLiang is Grace Liang. Internal error at /v3/validate: HTTP 500 code 8000.
	PhoneGraceLiang = "2009990011"

	// PhoneSamuelOkafor is Samuel Okafor. Internal error at /v3/challenge: HTTP 500 code 8000.
	PhoneSamuelOkafor = "2009990012"

	// PhoneEliseFournier is Elise Fournier. Internal error at /v3/complete: HTTP 500 code 8000.
	PhoneEliseFournier = "2009990013"

	// PhoneCalebMoreno is Caleb Moreno. Rate limited at /v3/start: HTTP 429 code 8000 with Retry-
	// After 1.
	PhoneCalebMoreno = "2009990014"

	// PhoneNadiaPetrova is Nadia Petrova. Not authorized at /v3/validate: HTTP 401 code 8002.
	PhoneNadiaPetrova = "2009990015"

	// PhoneJulianHartley is Julian Hartley. Malformed request at /v3/start: HTTP 400 code 8001
	// (phoneNumber invalid).
	PhoneJulianHartley = "2009990016"

	// PhoneImaniBrooks is Imani Brooks. Step out of order at /v3/complete: HTTP 403 code 8003.
	PhoneImaniBrooks = "2009990017"

	// PhoneVictorNguyen is Victor Nguyen. Invalid correlation ID at /v3/validate: HTTP 400 code
	// 8008.
	PhoneVictorNguyen = "2009990018"

	// PhoneHannahLindqvist is Hannah Lindqvist. Access denied at /v3/start: HTTP 403 code 8009,
	// whatever the client's product.
	PhoneHannahLindqvist = "2009990019"

	// PhoneTessaMorrow is Tessa Morrow. Types the wrong OTP twice: the first two submissions are
	// refused, then 1234 passes.
	PhoneTessaMorrow = "2009990030"

	// PhoneDiegoSalazar is Diego Salazar. Random OTP: each SMS carries a fresh random code (read
	// it from the SMS outbox).
	PhoneDiegoSalazar = "2009990031"

	// PhoneAbigailThornton is Abigail Thornton. Custom OTP: the SMS carries 654321 instead of
	// 1234.
	PhoneAbigailThornton = "2009990032"

	// PhoneFelixHoffmann is Felix Hoffmann. Never clicks the Instant Link: the desktop flow waits
	// until the link expires (unless it is opened from the SMS outbox).
	PhoneFelixHoffmann = "2009990033"

	// PhoneMayaCastellanos is Maya Castellanos. Clicks the Instant Link automatically 30s after
	// the SMS: the desktop flow completes on its own.
	PhoneMayaCastellanos = "2009990034"

	// PhoneGideonParks is Gideon Parks. Clicks the Instant Link too late, 4m after the SMS (links
	// expire after 3 minutes).
	PhoneGideonParks = "2009990035"

	// PhoneIngridHalvorsen is Ingrid Halvorsen. Phone number rejected by the carrier check: the
	// device API refuses to send an SMS to this number (first send or phone change), so the SDK
	// asks for another number.
	PhoneIngridHalvorsen = "2009990036"

	// PhoneRashidKarimi is Rashid Karimi. Mobile Auth passes: possession succeeds silently, no
	// SMS.
	PhoneRashidKarimi = "2009990037"

	// PhoneColleenBrennan is Colleen Brennan. Mobile Auth fails and the SDK falls back to OTP
	// (1234).
	PhoneColleenBrennan = "2009990038"

	// PhoneJordanEllis is Jordan Ellis. Ordinary (not short-term) user who passes everything: OTP
	// 1234, Instant Link clicked from the SMS outbox. For general testing.
	PhoneJordanEllis = "2009990039"

	// PhoneNoorHaddad is Noor Haddad. Verify: two people on the number. /v3/verify passes and
	// answers an additionalIdentities entry (her brother, AL1).
	PhoneNoorHaddad = "2009990040"

	// PhoneRuthCalloway is Ruth Calloway. Verify for a business: verificationType prefillForBiz
	// answers her bakery (businesses).
	PhoneRuthCalloway = "2009990041"

	// PhoneOmarSiddiqui is Omar Siddiqui. Internal error at /v3/verify: HTTP 500 code 8000
	// (Identity Manager and ProveX work).
	PhoneOmarSiddiqui = "2009990042"

	// PhoneLuciaMarchetti is Lucia Marchetti. Instant Link retry step: her first
	// instantlink/start answer is {}, so the web SDK calls the app's retry step (Resend / Change
	// number); the link of the resend, clicked from the SMS outbox, passes.
	PhoneLuciaMarchetti = "2009990043"

	// PhoneElenaColdman is Elena Coldman. Prove sandbox (Verified Users, SDK example): /v3/verify
	// passes with assurance level AL2; ProveX knows her wallet id (AcmeWallet).
	PhoneElenaColdman = "2001004053"

	// PhoneAlfNovotni is Alf Novotni. Prove sandbox (Verified Users, SDK example): /v3/verify
	// fails, AL0 with reasons AL0b, authentication failure reasons 9175 and 9177.
	PhoneAlfNovotni = "2001004054"

	// PhoneSheilakathrynButrimovich is Sheilakathryn Butrimovich. Prove sandbox (Verified Users):
	// short-term user, /v3/verify passes with her full identity; use her proveId for ProveX (a
	// wallet id).
	PhoneSheilakathrynButrimovich = "2001004011"

	// PhoneRozellaKimpton is Rozella Kimpton. Prove sandbox (Verified Users): international short-
	// term user; /v3/verify passes.
	PhoneRozellaKimpton = "+447968900002"

	// PhoneMerlaSchumacher is Merla Schumacher. Prove sandbox (Identity Manager): enrol, list,
	// look up, deactivate and disenrol her.
	PhoneMerlaSchumacher = "2001004031"

	// PhoneBatchExample is Batch Example. Prove sandbox (Identity Manager): the second number of
	// Prove's batch enrolment example (Prove publishes no name).
	PhoneBatchExample = "2001004032"

	// PhoneJaimieBeddo is Jaimie Beddo. Prove sandbox (Identity Manager): enrol, list, look up,
	// deactivate and disenrol him.
	PhoneJaimieBeddo = "2001004035"

	// PhoneStanlyOvid is Stanly Ovid. Prove sandbox (Identity Manager): enrol, list, look up,
	// deactivate and disenrol him.
	PhoneStanlyOvid = "2001004036"

	// PhoneOdileVarga is Odile Varga. Unify "Fail": mobile, no Prove Key passes, and she types a wrong
	// OTP every time; /v3/unify-status answers "false" and no key is bound.
	PhoneOdileVarga = "2009990050"

	// PhoneRubenCastell is Ruben Castell. Unify, Mobile Auth fails: the SDK falls back to OTP (1234),
	// which passes and binds the new Prove Key; the next mobile run is recognised by the key alone.
	PhoneRubenCastell = "2009990051"

	// PhoneTamsinOkafor is Tamsin Okafor. Unify "Fail", desktop: she never clicks the Instant Link; it
	// expires after 3 minutes and /v3/unify-status answers "false".
	PhoneTamsinOkafor = "2009990052"

	// PhoneBarbaraanneCanet is Barbaraanne Canet. Prove sandbox (Unify): short-term user; /v3/unify-
	// status answers "true" with no client SDK (curl or Postman) and no Prove Key (no deviceId).
	PhoneBarbaraanneCanet = "2001004018"

	// PhoneJanosMartina is Janos Martina. Prove sandbox (Unify): international short-term user; "true"
	// with no client SDK and no Prove Key.
	PhoneJanosMartina = "+2001004029"

	// PhoneLorantNerger is Lorant Nerger. Prove sandbox (Unify): desktop Instant Link then unify-
	// status "true" with proveId and no deviceId; mobile runs pass by OTP 1234 and place a Prove Key;
	// possessionType none ends in possession_required, then unify-bind with his number answers "true".
	PhoneLorantNerger = "2001004014"

	// PhoneLaneyDyball is Laney Dyball. Prove sandbox (Unify): Unified Auth user; mobile by OTP 1234
	// (places a Prove Key, recognised on the next run), desktop by Instant Link.
	PhoneLaneyDyball = "2001004015"

	// PhoneBertieFremont is Bertie Fremont. Prove sandbox (Unify): international Unified Auth user
	// ("Fromont" on an older page); OTP 1234 on mobile, Instant Link on desktop.
	PhoneBertieFremont = "+2001004025"

	// PhoneBonnieSidon is Bonnie Sidon. Prove sandbox (Unify): international Unified Auth user; OTP
	// 1234 on mobile, Instant Link on desktop.
	PhoneBonnieSidon = "+2001004026"

	// PhoneIngeGalier is Inge Galier. Prove sandbox (Unify): Mobile Auth user; the first mobile run
	// passes by Mobile Auth (no SMS) and places a Prove Key; the next run with the same number is
	// recognised by the key.
	PhoneIngeGalier = "2001004016"

	// PhoneJesseMashro is Jesse Mashro. Prove sandbox (Unify): Mobile Auth user; possession passes
	// silently by Mobile Auth and places a Prove Key.
	PhoneJesseMashro = "2001004017"

	// PhonePennyJowers is Penny Jowers. Prove sandbox (Unify, newest page): Mobile Auth user;
	// possession passes silently by Mobile Auth and places a Prove Key.
	PhonePennyJowers = "2001004041"

	// PhoneAllissaZoren is Allissa Zoren. Prove sandbox (Unify): international Mobile Auth user.
	PhoneAllissaZoren = "+2001004027"

	// PhoneWendyStrover is Wendy Strover. Prove sandbox (Unify): international Mobile Auth user
	// ("Wendie" on an older page).
	PhoneWendyStrover = "+2001004028"

	// PhoneAmiiPorritt is Amii Porritt. Prove sandbox (Unify): international Mobile Auth user.
	PhoneAmiiPorritt = "+2001004043"
)
