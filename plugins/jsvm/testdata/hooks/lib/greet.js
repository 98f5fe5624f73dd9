const prefix = "Hi "

module.exports = {
    greet: (name) => prefix + name,
}
