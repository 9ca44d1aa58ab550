"""Demo data's shared parts: the population, file formats and the answer key's scoring.

The night itself is written by `robots.demo.generate_night`, above the robots: each robot's
package brings its own planted kinds (robots/laegeregninger/demo.py), and the generator
puts them together with the registers every robot reads.
"""
