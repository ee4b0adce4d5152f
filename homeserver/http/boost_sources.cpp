// Asio (its OpenSSL layer too) and Beast are header-only libraries compiled here once
// (BOOST_*_SEPARATE_COMPILATION), so the other files only parse their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
