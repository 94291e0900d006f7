// URL parsing in SQLAlchemy's form: backend://user:pass@host:port/database?key=value
#include "strata/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <utility>

#include "dialect/backend.hpp"
#include "strata/error.hpp"

namespace strata {

namespace {

// Where a password may be in text that has not parsed yet: from the first ':'
// after "scheme://" (or from the first ':' when there is no "://") to the
// last '@'. Wider than the password when the text is odd, never narrower.
std::pair<std::size_t, std::size_t> secret_range(const std::string& text) {
    auto at = text.rfind('@');
    if (at == std::string::npos) return {0, 0};
    auto scheme_end = text.find("://");
    std::size_t from = scheme_end != std::string::npos && scheme_end < at ? scheme_end + 3 : 0;
    auto colon = text.find(':', from);
    if (colon == std::string::npos || colon > at) return {0, 0};
    return {colon + 1, at};
}

// Parses one URL; every complaint shows the URL with its password masked and
// only pieces of it that cannot be part of the password.
class UrlParser {
public:
    explicit UrlParser(const std::string& text) : text_(text), secret_(secret_range(text)) {
        masked_ = secret_.second > secret_.first
                      ? text.substr(0, secret_.first) + "***" + text.substr(secret_.second)
                      : text;
    }

    [[noreturn]] void fail(const std::string& why) const {
        throw ConfigError("invalid database URL '" + masked_ + "': " + why);
    }
    // A piece of the text, quoted for a message; "***" when any place it
    // occurs overlaps where the password may be (or it is not found as is).
    std::string shown(const std::string& piece) const {
        if (secret_.second <= secret_.first) return "'" + piece + "'";
        auto pos = text_.find(piece);
        if (pos == std::string::npos) return "'***'";
        for (; pos != std::string::npos; pos = text_.find(piece, pos + 1))
            if (pos < secret_.second && pos + piece.size() > secret_.first) return "'***'";
        return "'" + piece + "'";
    }
    // A decoded component: no NUL byte (C APIs would cut the text there).
    std::string component(const std::string& raw, const char* what) const {
        std::string value = url_unquote(raw);
        if (value.find('\0') != std::string::npos) fail(std::string(what) + " holds a NUL byte (%00)");
        return value;
    }

    void parse_query(const std::string& query, Url& url) const {
        std::size_t pos = 0;
        while (pos <= query.size()) {
            auto amp = query.find('&', pos);
            auto item = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            if (!item.empty()) {
                auto eq = item.find('=');
                if (eq == std::string::npos || eq == 0) fail("query parameter " + shown(item) + " is not key=value");
                url.query[component(item.substr(0, eq), "a query parameter")] =
                    component(item.substr(eq + 1), "a query parameter");
            }
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
    }

    void parse_authority(const std::string& authority, Url& url) const {
        std::string hostport = authority;
        auto at = authority.rfind('@');
        if (at != std::string::npos) {
            auto userinfo = authority.substr(0, at);
            hostport = authority.substr(at + 1);
            auto colon = userinfo.find(':');
            url.username = component(userinfo.substr(0, colon), "the user name");
            if (colon != std::string::npos) url.password = component(userinfo.substr(colon + 1), "the password");
            if (url.username.empty()) fail("user name is empty before '@'");
        }
        std::string port_text;
        if (!hostport.empty() && hostport.front() == '[') {  // [::1]:5432
            auto close = hostport.find(']');
            if (close == std::string::npos) fail("unterminated '[' in IPv6 host");
            url.host = hostport.substr(1, close - 1);
            if (close + 1 < hostport.size()) {
                if (hostport[close + 1] != ':') fail("expected ':' after IPv6 host");
                port_text = hostport.substr(close + 2);
            }
        } else {
            auto colon = hostport.rfind(':');
            url.host = component(hostport.substr(0, colon), "the host");
            if (colon != std::string::npos) port_text = hostport.substr(colon + 1);
        }
        if (!port_text.empty() || hostport.ends_with(":")) {
            int port = 0;
            auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
            if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 || port > 65535)
                fail("port " + shown(port_text) + " is not a number from 1 to 65535");
            url.port = port;
        }
    }

    // Where user:password@host:port ends: the first '/' or '?' after the
    // userinfo. A password may hold '/' and '@' unencoded: the userinfo runs
    // to the last '@' before the query, when the user name before it (up to
    // its ':') holds no '/' (else that '@' is in the database name).
    static std::size_t authority_end(const std::string& rest) {
        const auto query = rest.find('?');
        const auto at = query == 0 ? std::string::npos : rest.rfind('@', query == std::string::npos ? query : query - 1);
        std::size_t from = 0;
        if (at != std::string::npos && rest.substr(0, std::min(at, rest.find(':'))).find('/') == std::string::npos)
            from = at + 1;
        return rest.find_first_of("/?", from);
    }

    const std::string& masked() const { return masked_; }

private:
    const std::string& text_;
    std::pair<std::size_t, std::size_t> secret_;
    std::string masked_;
};

// The backend's own rules for its query parameters.
void check_backend_rules(const Backend& backend, Url& url, const UrlParser& p) {
    if (std::string why = backend.check_url(url); !why.empty()) p.fail(why);
}

}  // namespace

std::string url_unquote(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() + 0 && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string Url::masked() const {
    const Backend* b = find_backend(backend);
    if (b && b->file_url) return database.empty() ? backend + "://" : backend + ":///" + database;
    std::string out = backend + "://";
    if (!username.empty()) {
        out += username;
        if (!password.empty()) out += ":***";
        out += "@";
    }
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port) out += ":" + std::to_string(*port);
    out += "/" + database;
    char sep = '?';
    for (const auto& [k, v] : query) {
        out += sep + k + "=" + (k == "password" ? "***" : v);
        sep = '&';
    }
    return out;
}

Url parse_url(const std::string& text) {
    if (text.empty()) throw ConfigError("invalid database URL '': the URL is empty (expected e.g. sqlite:///app.db)");
    const UrlParser p(text);
    auto scheme_end = text.find("://");
    if (scheme_end == std::string::npos)
        p.fail("missing '://' after the backend name (expected e.g. sqlite:///app.db or postgresql://host/db)");
    Url url;
    std::string scheme = text.substr(0, scheme_end);
    // "postgresql+psycopg2" and friends: keep the backend, ignore the driver part.
    auto plus = scheme.find('+');
    const Backend* backend = find_backend(scheme.substr(0, plus));
    if (!backend) p.fail("unknown backend " + p.shown(scheme) + " (supported: " + backend_names() + ")");
    url.backend = backend->name;

    std::string rest = text.substr(scheme_end + 3);
    if (backend->file_url) {
        // scheme:// (no file: the backend's default, SQLite's memory), scheme:///rel/path, scheme:////abs/path
        auto q = rest.find('?');
        if (q != std::string::npos) {
            p.parse_query(rest.substr(q + 1), url);
            rest = rest.substr(0, q);
        }
        check_backend_rules(*backend, url, p);
        if (rest.empty()) return url;
        const std::string example = url.backend + ":///relative/path.db or " + url.backend + ":////absolute/path.db";
        if (rest.front() != '/') p.fail("a " + std::string(backend->display_name) + " URL has no host: use " + example);
        url.database = p.component(rest.substr(1), "the database path");
        if (url.database.empty()) p.fail("the database path after '" + url.backend + ":///' is empty");
        return url;
    }

    auto end = UrlParser::authority_end(rest);
    std::string authority = rest.substr(0, end);
    rest = end == std::string::npos ? "" : rest.substr(end);
    auto q = rest.find('?');
    if (q != std::string::npos) {
        p.parse_query(rest.substr(q + 1), url);
        rest = rest.substr(0, q);
    }
    p.parse_authority(authority, url);
    if (!rest.empty()) url.database = p.component(rest.substr(1), "the database name");
    if (url.database.find('/') != std::string::npos)
        p.fail("database name " + p.shown(url.database) + " contains '/'");
    if (url.host.empty() && !url.query.count("host") && url.database.empty())
        p.fail("neither a host nor a database name is given");
    check_backend_rules(*backend, url, p);
    return url;
}

}  // namespace strata
