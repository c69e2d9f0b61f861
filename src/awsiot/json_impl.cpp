// The one translation unit of the awsiot/responder modules that compiles Boost.JSON
// (header-only mode); metrics/ has its own for the modules above it.
#include <boost/json/src.hpp>
