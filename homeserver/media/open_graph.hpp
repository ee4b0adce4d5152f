#pragma once
// The Open Graph fields of an HTML page (https://ogp.me) as a URL preview answers them: every
// og:* property of the page's <meta> tags, with what clients show (og:title, og:description,
// og:image) filled from <title>, <meta name="description"> and Twitter's cards where the page
// has no og:* of its own. Parsed with libxml2's forgiving HTML parser: real pages are not
// well-formed, and a page that is not HTML at all yields an empty object.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace domovoy {

// `page_url` resolves relative og:image and og:url references; `charset` is the one the
// response's Content-Type named (empty: what the page itself declares, else UTF-8).
boost::json::object parse_open_graph(std::string_view html, const std::string& page_url, const std::string& charset);

}  // namespace domovoy
