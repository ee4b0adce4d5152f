#include "homeserver/media/open_graph.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

namespace domovoy {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxFieldBytes = 2000;        // a single og:* value
constexpr std::size_t kMaxDescriptionBytes = 500;   // what a preview card can show
constexpr std::size_t kMaxProperties = 64;

struct DocumentDeleter {
  void operator()(xmlDoc* document) const { xmlFreeDoc(document); }
};

std::string attribute(xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!value) return {};
  std::string text(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return text;
}

std::string element_name(xmlNode* node) {
  std::string name(reinterpret_cast<const char*>(node->name));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Whitespace runs become one space; the result is cut at a character boundary.
std::string tidy(std::string_view text, std::size_t max_bytes) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

std::string resolve(const std::string& base, const std::string& reference) {
  auto base_url = boost::urls::parse_uri(base);
  auto relative = boost::urls::parse_uri_reference(reference);
  if (!base_url || !relative) return {};
  boost::urls::url resolved;
  if (!boost::urls::resolve(*base_url, *relative, resolved)) return {};
  auto scheme = resolved.scheme();
  if (scheme != "http" && scheme != "https") return {};
  return std::string(resolved.buffer());
}

}  // namespace

json::object parse_open_graph(std::string_view html, const std::string& page_url, const std::string& charset) {
  json::object graph;
  if (html.empty()) return graph;
  int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                HTML_PARSE_NOIMPLIED | HTML_PARSE_COMPACT;
  std::unique_ptr<xmlDoc, DocumentDeleter> document(
      htmlReadMemory(html.data(), static_cast<int>(html.size()), page_url.c_str(),
                     charset.empty() ? nullptr : charset.c_str(), options));
  if (!document) return graph;

  std::string title;
  std::string description;
  std::string twitter_title;
  std::string twitter_description;
  std::string twitter_image;
  // Depth first, without recursion: a page of deeply nested tags cannot exhaust the stack.
  std::vector<xmlNode*> pending;
  for (xmlNode* node = document->children; node; node = node->next) pending.push_back(node);
  std::reverse(pending.begin(), pending.end());
  while (!pending.empty()) {
    xmlNode* node = pending.back();
    pending.pop_back();
    if (node->type != XML_ELEMENT_NODE) continue;
    auto name = element_name(node);
    if (name == "meta") {
      auto property = attribute(node, "property");
      if (property.empty()) property = attribute(node, "name");
      auto content = attribute(node, "content");
      if (property.rfind("og:", 0) == 0 && property.size() < 100 && !content.empty() && !graph.contains(property) &&
          graph.size() < kMaxProperties)
        graph[property] = tidy(content, kMaxFieldBytes);
      else if (property == "description" && description.empty()) description = content;
      else if (property == "twitter:title" && twitter_title.empty()) twitter_title = content;
      else if (property == "twitter:description" && twitter_description.empty()) twitter_description = content;
      else if (property == "twitter:image" && twitter_image.empty()) twitter_image = content;
    } else if (name == "title" && title.empty()) {
      xmlChar* text = xmlNodeGetContent(node);
      if (text) {
        title = reinterpret_cast<const char*>(text);
        xmlFree(text);
      }
    }
    if (name == "script" || name == "style") continue;
    std::vector<xmlNode*> children;
    for (xmlNode* child = node->children; child; child = child->next) children.push_back(child);
    pending.insert(pending.end(), children.rbegin(), children.rend());  // document order
  }

  auto fill = [&](const char* key, const std::string& first, const std::string& second, std::size_t max) {
    if (graph.contains(key)) return;
    const auto& value = !first.empty() ? first : second;
    if (auto text = tidy(value, max); !text.empty()) graph[key] = text;
  };
  fill("og:title", twitter_title, title, kMaxFieldBytes);
  fill("og:description", twitter_description, description, kMaxDescriptionBytes);
  if (auto* existing = graph.if_contains("og:description"))
    *existing = tidy(existing->as_string(), kMaxDescriptionBytes);
  if (!graph.contains("og:image") && !twitter_image.empty()) graph["og:image"] = twitter_image;
  for (const char* key : {"og:image", "og:image:url", "og:image:secure_url", "og:url"}) {
    if (auto* value = graph.if_contains(key)) {
      auto absolute = resolve(page_url, std::string(value->as_string()));
      if (absolute.empty()) graph.erase(key);
      else *value = absolute;
    }
  }
  return graph;
}

}  // namespace domovoy
