// X-Matrix request authentication (server-server-api "Request Authentication"): the header is
// parsed as RFC 9110 auth-params (any case, any order, quoted or not, escapes, spaces around
// commas, colons unquoted), incomplete or repeated parameters are refused, and a signature
// verifies only for the method, URI, body and destination it was made over.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "federation/x_matrix.hpp"
#include "homeserver/events/canonical_json.hpp"

namespace domovoy::federation {
namespace {

namespace json = boost::json;

TEST(XMatrix, ParsesTheSpecsExampleAndItsVariants) {
  auto auth = parse_x_matrix(
      R"(X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF...")");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->origin, "origin.hs.example.com");
  EXPECT_EQ(auth->destination, "destination.hs.example.com");
  EXPECT_EQ(auth->key_id, "ed25519:key1");
  EXPECT_EQ(auth->signature, "ABCDEF...");

  // Scheme and names in any case, any order, spaces and tabs around commas, unquoted tokens,
  // a colon unquoted (older servers), an escaped character, an unknown parameter.
  auto loose = parse_x_matrix(
      "x-matrix   SIG=abc+/def ,\tKey=\"ed25519:k\\\"1\" , origin=spb.localhost:8448,Extra=\"ignored\"");
  ASSERT_TRUE(loose);
  EXPECT_EQ(loose->origin, "spb.localhost:8448");
  EXPECT_EQ(loose->key_id, "ed25519:k\"1");
  EXPECT_EQ(loose->signature, "abc+/def");
  EXPECT_EQ(loose->destination, "") << "destination is optional for servers before v1.3";
  // Empty list elements are allowed (RFC 9110 §5.6.1).
  auto sparse = parse_x_matrix("X-Matrix ,origin=a, ,key=ed25519:1,,sig=s,");
  ASSERT_TRUE(sparse);
  EXPECT_EQ(sparse->signature, "s");
}

TEST(XMatrix, RefusesWhatIsNotAWholeHeader) {
  for (const char* header : {
           "",
           "Bearer abc",
           "X-Matrixorigin=a,key=b,sig=c",
           "X-Matrix",
           "X-Matrix key=\"ed25519:1\",sig=\"s\"",                      // no origin
           "X-Matrix origin=a,sig=s",                                    // no key
           "X-Matrix origin=a,key=ed25519:1",                            // no sig
           "X-Matrix origin=a,origin=b,key=ed25519:1,sig=s",             // origin twice
           "X-Matrix origin=\"a,key=ed25519:1,sig=s",                    // unterminated quote
           "X-Matrix origin=a key=ed25519:1 sig=s",                      // no commas
           "X-Matrix origin=,key=ed25519:1,sig=s",                       // empty value
           "X-Matrix origin=\"\",key=ed25519:1,sig=s",                   // empty quoted value
           "X-Matrix =a,key=ed25519:1,sig=s",                            // no name
           "X-Matrix origin=a\x01,key=ed25519:1,sig=s",                  // a control character
       })
    EXPECT_FALSE(parse_x_matrix(header)) << header;
}

TEST(XMatrix, SignsAndVerifiesOneRequest) {
  auto key = SigningKey::generate("ed25519:a1");
  json::value body = json::parse(R"({"pdus":[],"edus":[{"edu_type":"m.typing"}]})");
  auto header = x_matrix_header("PUT", "/_matrix/federation/v1/send/1?x=%20y", "spb.localhost", "msk.localhost", &body, key);
  EXPECT_EQ(header.rfind("X-Matrix origin=\"spb.localhost\",destination=\"msk.localhost\",key=\"ed25519:a1\",sig=\"", 0), 0u)
      << header;
  auto auth = parse_x_matrix(header);
  ASSERT_TRUE(auth);
  auto public_key = key.public_key_base64();
  EXPECT_TRUE(verify_x_matrix(*auth, "PUT", "/_matrix/federation/v1/send/1?x=%20y", "msk.localhost", &body, public_key));

  // Anything else the signature did not cover fails.
  json::value other_body = json::parse(R"({"pdus":[],"edus":[]})");
  EXPECT_FALSE(verify_x_matrix(*auth, "POST", "/_matrix/federation/v1/send/1?x=%20y", "msk.localhost", &body, public_key));
  EXPECT_FALSE(verify_x_matrix(*auth, "PUT", "/_matrix/federation/v1/send/2?x=%20y", "msk.localhost", &body, public_key));
  EXPECT_FALSE(verify_x_matrix(*auth, "PUT", "/_matrix/federation/v1/send/1?x=%20y", "msk.localhost", &other_body, public_key));
  EXPECT_FALSE(verify_x_matrix(*auth, "PUT", "/_matrix/federation/v1/send/1?x=%20y", "msk.localhost", nullptr, public_key));
  EXPECT_FALSE(verify_x_matrix(*auth, "PUT", "/_matrix/federation/v1/send/1?x=%20y", "omsk.localhost", &body, public_key))
      << "a header for another destination";
  auto other_key = SigningKey::generate("ed25519:a1");
  EXPECT_FALSE(verify_x_matrix(*auth, "PUT", "/_matrix/federation/v1/send/1?x=%20y", "msk.localhost", &body,
                               other_key.public_key_base64()));
  auto forged = *auth;
  forged.origin = "omsk.localhost";
  EXPECT_FALSE(verify_x_matrix(forged, "PUT", "/_matrix/federation/v1/send/1?x=%20y", "msk.localhost", &body, public_key));

  // A GET has no content in the signed JSON; the body-less form verifies as such.
  auto get_header = x_matrix_header("GET", "/_matrix/federation/v1/version", "spb.localhost", "msk.localhost", nullptr, key);
  auto get_auth = parse_x_matrix(get_header);
  ASSERT_TRUE(get_auth);
  EXPECT_TRUE(verify_x_matrix(*get_auth, "GET", "/_matrix/federation/v1/version", "msk.localhost", nullptr, public_key));
  json::value empty = json::object{};
  EXPECT_FALSE(verify_x_matrix(*get_auth, "GET", "/_matrix/federation/v1/version", "msk.localhost", &empty, public_key));
}

TEST(XMatrix, TheSignedJsonIsTheSpecsObject) {
  json::value content = json::parse(R"({"b":1,"a":[true]})");
  auto signed_json = x_matrix_signed_json("POST", "/target", "origin.hs.example.com", "destination.hs.example.com", &content);
  EXPECT_EQ(canonical_json(signed_json),
            R"({"content":{"a":[true],"b":1},"destination":"destination.hs.example.com","method":"POST","origin":"origin.hs.example.com","uri":"/target"})");
  EXPECT_FALSE(x_matrix_signed_json("GET", "/target", "o", "d", nullptr).contains("content"));
}

}  // namespace
}  // namespace domovoy::federation
