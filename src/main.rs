fn main() {
    racelab_web::start();
}
